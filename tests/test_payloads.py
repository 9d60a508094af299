"""Deep links and button payloads stay within Telegram's limits and round-trip."""

from __future__ import annotations

import re

from bot.content.coverage import REQUIRED_TOPICS
from bot.content.topic_ids import deep_link_payload, parse_deep_link
from bot.dialog.payloads import Action, feedback_payload, parse_payload, topic_payload
from bot.languages import Lang


def test_every_topic_deep_link_is_valid_for_telegram_and_round_trips() -> None:
    for topic_id in REQUIRED_TOPICS:
        for lang in Lang:
            payload = deep_link_payload(lang, topic_id)
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload), payload
            link = parse_deep_link(payload)
            assert link.lang is lang and link.topic_id == topic_id


def test_deep_link_variants() -> None:
    assert parse_deep_link("uk").lang is Lang.UK
    assert parse_deep_link("ar_sprache").field == "sprache"
    link = parse_deep_link("asyl_wohnen")
    assert link.lang is None and link.topic_id == "asyl/wohnen"
    assert parse_deep_link("").topic_id is None


def test_button_payloads_fit_64_bytes_and_parse_back() -> None:
    for topic_id in REQUIRED_TOPICS:
        for raw in (topic_payload(topic_id), feedback_payload(topic_id, False)):
            assert len(raw.encode()) <= 64
            parsed = parse_payload(raw)
            assert parsed is not None and parsed.arg == topic_id
    assert parse_payload(feedback_payload("asyl/wohnen", True)).flag == "1"
    assert parse_payload("garbage:1") is None
    assert parse_payload("fb:x:asyl_wohnen") is None
    assert parse_payload("menu").action is Action.MENU
