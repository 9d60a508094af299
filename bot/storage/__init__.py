"""Persistence behind a small interface; SQLAlchemy 2.0 does the work.

What is stored, and why (privacy by design, documented in README):
* users: channel + channel's user id, chosen language, chosen area (city or
  Verbandsgemeinde). Needed to answer in the right language across bot processes.
* feedback: topic, language, helpful yes/no, day. Not linked to a user.
* unanswered: question text, detected language, best guess, time. Not linked to a user.
"""

from bot.storage.db import Prefs, Storage, UnansweredGroup

__all__ = ["Prefs", "Storage", "UnansweredGroup"]
