"""Integration bot for the Landkreis Kaiserslautern."""
