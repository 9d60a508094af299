"""Coverage of topics x languages for staff: what is complete, missing or stale."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.content.model import ContentLibrary
from bot.languages import Lang

STALE_AFTER_DAYS = 365

# The stable topic IDs of the product contract (shared/spec/topics.md): deep links,
# statistics and the evaluation refer to them, so content may add topics but never drop one.
REQUIRED_TOPICS: tuple[str, ...] = (
    "sprache/integrationskurs", "sprache/berufssprachkurs", "sprache/deutschkurs-finden",
    "sprache/sprache-im-verein", "sprache/dolmetschen", "verwaltung/einbuergerung",
    "verwaltung/einbuergerungstest", "verwaltung/einbuergerung-antrag",
    "verwaltung/aufenthalt", "verwaltung/beirat", "verwaltung/kontakt", "asyl/leistungen",
    "asyl/beratung", "asyl/arbeiten", "asyl/gesundheit", "asyl/wohnen",
    "verein-ehrenamt/sport", "verein-ehrenamt/ehrenamt", "verein-ehrenamt/vereine-finden",
    "kita-schule/kita", "kita-schule/schule", "soziales/migrationsberatung",
    "soziales/wohnen", "soziales/familie", "soziales/buergergeld", "arbeit/anerkennung",
    "arbeit/jobsuche", "arbeit/ausbildung", "gesundheit/arzt", "gesundheit/notfall",
    "gesundheit/psychisch", "religion/gemeinden",
)


class Coverage(StrEnum):
    OK = "ok"
    MISSING = "missing"
    STALE = "stale"


def coverage_matrix(library: ContentLibrary, today: dt.date | None = None,
                    languages: list[Lang] | None = None) -> dict[str, dict[Lang, Coverage]]:
    """Required and extra topics x languages; a draft translation counts as missing."""
    today = today or dt.date.today()
    languages = languages or list(Lang)
    ids = sorted(set(REQUIRED_TOPICS) | set(library.topics))
    matrix: dict[str, dict[Lang, Coverage]] = {}
    for topic_id in ids:
        topic = library.topics.get(topic_id)
        row: dict[Lang, Coverage] = {}
        for lang in languages:
            if topic is None or lang not in topic.published():
                row[lang] = Coverage.MISSING
            elif (today - topic.reviewed).days > STALE_AFTER_DAYS:
                row[lang] = Coverage.STALE
            else:
                row[lang] = Coverage.OK
        matrix[topic_id] = row
    return matrix
