"""The content model: language-neutral topics with per-language translations.

Topic IDs (``<field>/<slug>``) never depend on a language; each translation carries its
own status, as integreat-cms does, so a draft translation never reaches users while the
published ones keep working.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.languages import Lang, fallback_order


class Field(StrEnum):
    """The nine fields of action (Handlungsfelder) of the district's integration concept."""

    KITA_SCHULE = "kita-schule"
    SPRACHE = "sprache"
    SOZIALES = "soziales"
    VEREIN_EHRENAMT = "verein-ehrenamt"
    VERWALTUNG = "verwaltung"
    ARBEIT = "arbeit"
    GESUNDHEIT = "gesundheit"
    ASYL = "asyl"
    RELIGION = "religion"


class Area(StrEnum):
    """Where an office or a topic applies: the city of Kaiserslautern is not in the district."""

    BUNDESWEIT = "bundesweit"
    LANDKREIS = "landkreis"
    STADT_KAISERSLAUTERN = "stadt-kaiserslautern"
    BRUCHMUEHLBACH_MIESAU = "bruchmuehlbach-miesau"
    ENKENBACH_ALSENBORN = "enkenbach-alsenborn"
    LANDSTUHL = "landstuhl"
    OTTERBACH_OTTERBERG = "otterbach-otterberg"
    RAMSTEIN_MIESENBACH = "ramstein-miesenbach"
    WEILERBACH = "weilerbach"


class TranslationStatus(StrEnum):
    """Only published translations are shown; drafts are work in progress of translators."""

    PUBLISHED = "published"
    DRAFT = "draft"


@dataclass(frozen=True)
class Source:
    url: str
    title: str


@dataclass(frozen=True)
class Contact:
    """An office or service; details exist only where a source page states them."""

    id: str
    name: str
    web: str | None
    serves: tuple[Area, ...]
    reviewed: dt.date
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Translation:
    lang: Lang
    title: str
    body: str  # Markdown
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    status: TranslationStatus
    path: str


@dataclass(frozen=True)
class Topic:
    id: str
    field: Field
    reviewed: dt.date
    sources: tuple[Source, ...]
    contacts: tuple[Contact, ...]
    related: tuple[str, ...]
    applies_to: tuple[Area, ...]
    translations: dict[Lang, Translation]

    @property
    def slug(self) -> str:
        return self.id.split("/", 1)[1]

    def published(self) -> dict[Lang, Translation]:
        return {
            lang: tr
            for lang, tr in self.translations.items()
            if tr.status is TranslationStatus.PUBLISHED
        }

    def best_translation(self, preferred: Lang) -> Translation | None:
        """The user's language if published, else the fallback chain (English, German)."""
        published = self.published()
        for lang in fallback_order(preferred):
            if lang in published:
                return published[lang]
        return next(iter(published.values()), None)


@dataclass(frozen=True)
class FieldInfo:
    field: Field
    order: int
    titles: dict[Lang, str]

    def title(self, lang: Lang) -> str:
        for candidate in fallback_order(lang):
            if candidate in self.titles:
                return self.titles[candidate]
        return self.field.value


@dataclass(frozen=True)
class SmallTalkIntent:
    """Greetings, thanks, goodbyes and chit-chat: recognised so they never match a topic."""

    name: str
    phrases: dict[Lang, tuple[str, ...]]


@dataclass(frozen=True)
class Glossary:
    """Phrases in a language the bot has no answers in (Kurdish, Pashto, Somali ...), each
    pointing to a topic: the matcher can then find the topic for a question in that
    language, and the answer comes in the user's chosen language."""

    code: str  # ISO 639 code, e.g. "ku", "ckb", "ps"
    name: str  # the language's own name for itself
    reviewed: dt.date
    entries: dict[str, tuple[str, ...]]  # topic ID -> phrases
    smalltalk: dict[str, tuple[str, ...]] = field(default_factory=dict)  # intent -> phrases


@dataclass
class ContentLibrary:
    """Everything loaded from ``content/``, validated; the single read-only source of answers."""

    fields: dict[Field, FieldInfo]
    topics: dict[str, Topic]
    contacts: dict[str, Contact]
    smalltalk: list[SmallTalkIntent] = field(default_factory=list)
    glossaries: list[Glossary] = field(default_factory=list)

    def topics_in(self, fld: Field) -> list[Topic]:
        return sorted((t for t in self.topics.values() if t.field is fld), key=lambda t: t.id)

    def ordered_fields(self) -> list[FieldInfo]:
        return sorted(self.fields.values(), key=lambda f: f.order)

    def languages(self) -> list[Lang]:
        """Languages for which at least one topic is published, in the picker's order."""
        present = {lang for t in self.topics.values() for lang in t.published()}
        return [lang for lang in Lang if lang in present]
