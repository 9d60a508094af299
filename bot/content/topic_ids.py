"""Encode topic IDs for Telegram deep links and button payloads, and decode them back.

Deep-link payloads may only use ``A-Za-z0-9_-`` and 64 characters. Topic IDs are
``<field>/<slug>`` with slugs of lowercase letters, digits and ``-``, so ``_`` never occurs
in them and can safely stand for ``/`` and separate the optional leading language:
``de`` (language only), ``de_sprache`` (a field's menu), ``de_sprache_integrationskurs``,
``sprache_integrationskurs`` (topic, language chosen by the user).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.languages import Lang


@dataclass(frozen=True)
class DeepLink:
    lang: Lang | None
    field: str | None
    topic_id: str | None


def deep_link_payload(lang: Lang | None, topic_or_field: str | None) -> str:
    """The ``/start`` payload for a language and/or a topic or field."""
    parts = [lang.value] if lang else []
    if topic_or_field:
        parts.append(topic_or_field.replace("/", "_"))
    return "_".join(parts)


def parse_deep_link(payload: str | None) -> DeepLink:
    """Decode a payload; unknown parts are ignored so a mistyped link still opens the bot."""
    if not payload:
        return DeepLink(None, None, None)
    parts = [p for p in payload.strip().split("_") if p]
    lang = Lang.parse(parts[0]) if parts else None
    if lang is not None and parts[0] == lang.value:
        parts = parts[1:]
    if not parts:
        return DeepLink(lang, None, None)
    field = parts[0].lower()
    topic = f"{field}/{parts[1].lower()}" if len(parts) > 1 else None
    return DeepLink(lang, field, topic)
