"""Read and validate ``content/``; report every problem at once with file, field and language.

Staff edit these files by hand, so the loader is strict (unknown keys, missing sources,
unsourced contact details are errors) but never stops at the first problem: one run of
``python -m bot content check`` lists everything to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import (
    Area,
    Contact,
    ContentLibrary,
    Field,
    FieldInfo,
    Glossary,
    SmallTalkIntent,
    Source,
    Topic,
    Translation,
    TranslationStatus,
)
from bot.content.topic_ids import deep_link_payload
from bot.errors import ContentError, ContentProblem
from bot.languages import Lang

# libyaml's C parser when available (5-10x faster start-up); same safe semantics.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
MD_LINK_RE = re.compile(r"\]\((\S+?)\)|<(https?://[^>\s]+)>|(?<![(<])\b(https?://[^\s)>\]]+)")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)

MIN_QUESTIONS = 8
MAX_BODY_CHARS = 6000
TOPIC_KEYS = {"reviewed", "sources", "contacts", "related", "applies_to"}
CONTACT_KEYS = {"name", "address", "phone", "email", "hours", "web", "serves", "source",
                "reviewed"}
SOURCED_CONTACT_KEYS = ("address", "phone", "email", "hours")
TRANSLATION_KEYS = {"title", "status", "questions", "keywords"}
FIELD_KEYS = {"order", "title"}
GLOSSARY_KEYS = {"language", "name", "reviewed", "topics", "smalltalk"}
GLOSSARY_CODE_RE = re.compile(r"^[a-z]{2,3}$")


class _Collector:
    """Gathers problems relative to the content root so messages show short paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[ContentProblem] = []

    def add(self, path: Path, field: str, message: str, lang: str | None = None) -> None:
        try:
            shown = str(path.relative_to(self.root.parent))
        except ValueError:
            shown = str(path)
        self.problems.append(ContentProblem(shown, field, message, lang))


def _read_yaml(path: Path, out: _Collector, lang: str | None = None) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except UnicodeDecodeError:
        out.add(path, "", "file is not UTF-8 text", lang)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        out.add(path, "", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", lang)
    return None


def _as_date(value: Any, path: Path, key: str, out: _Collector) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    out.add(path, key, f"must be a date like 2026-11-25 (got {value!r})")
    return None


def _string_list(value: Any, path: Path, key: str, out: _Collector,
                 lang: str | None = None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        out.add(path, key, "must be a list", lang)
        return []
    items: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            out.add(path, f"{key}[{i}]", "must be a non-empty text", lang)
            continue
        items.append(item.strip())
    return items


def _areas(value: Any, path: Path, key: str, out: _Collector) -> tuple[Area, ...]:
    names = _string_list(value, path, key, out)
    areas: list[Area] = []
    for name in names:
        try:
            areas.append(Area(name))
        except ValueError:
            allowed = ", ".join(a.value for a in Area)
            out.add(path, key, f"unknown area {name!r} (allowed: {allowed})")
    return tuple(areas)


def _unknown_keys(data: dict, allowed: set[str], path: Path, out: _Collector,
                  lang: str | None = None) -> None:
    for key in sorted(set(data) - allowed):
        out.add(path, str(key), f"unknown key (allowed: {', '.join(sorted(allowed))})", lang)


def _load_contact(path: Path, out: _Collector) -> Contact | None:
    data = _read_yaml(path, out)
    if not isinstance(data, dict):
        if data is not None:
            out.add(path, "", "must be a mapping of keys to values")
        return None
    _unknown_keys(data, CONTACT_KEYS, path, out)
    cid = path.stem
    ok = True
    if not SLUG_RE.match(cid):
        out.add(path, "", "file name must be lowercase ASCII letters, digits and '-'")
        ok = False
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        out.add(path, "name", "is required")
        ok = False
    web = data.get("web")
    if web is not None and (not isinstance(web, str) or not URL_RE.match(web)):
        out.add(path, "web", f"must be an http(s) URL (got {web!r})")
        ok = False
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not URL_RE.match(source)):
        out.add(path, "source", f"must be an http(s) URL (got {source!r})")
        ok = False
    details = {}
    for key in SOURCED_CONTACT_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            out.add(path, key, "must be a non-empty text")
            ok = False
            continue
        details[key] = value.strip()
    if details and not source:
        out.add(path, "source", f"{', '.join(details)} given without the source page where "
                "they were read; add source: URL or remove them")
        ok = False
    if not web and not details.get("phone") and not details.get("address"):
        out.add(path, "web", "a contact needs at least web, phone or address")
        ok = False
    serves = _areas(data.get("serves"), path, "serves", out)
    if not serves:
        out.add(path, "serves", "is required (e.g. [landkreis] or [bundesweit])")
        ok = False
    reviewed = _as_date(data.get("reviewed"), path, "reviewed", out)
    if not ok or reviewed is None:
        return None
    return Contact(id=cid, name=name.strip(), web=web, serves=serves, reviewed=reviewed,
                   source=source, **details)


def _load_field(path: Path, fld: Field, out: _Collector) -> FieldInfo | None:
    data = _read_yaml(path, out)
    if not isinstance(data, dict):
        out.add(path, "", "must hold order and title")
        return None
    _unknown_keys(data, FIELD_KEYS, path, out)
    order = data.get("order")
    if not isinstance(order, int):
        out.add(path, "order", "must be a whole number")
        order = 99
    titles: dict[Lang, str] = {}
    raw = data.get("title")
    if not isinstance(raw, dict):
        out.add(path, "title", "must map language codes to titles")
        raw = {}
    for code, title in raw.items():
        lang = Lang.parse(str(code))
        if lang is None or lang.value != str(code):
            out.add(path, f"title.{code}", "unknown language code", str(code))
        elif not isinstance(title, str) or not title.strip():
            out.add(path, f"title.{code}", "must be a non-empty text", str(code))
        else:
            titles[lang] = title.strip()
    if Lang.DE not in titles:
        out.add(path, "title.de", "German title is required", "de")
    return FieldInfo(field=fld, order=order, titles=titles)


def _split_front_matter(text: str) -> tuple[str, str] | None:
    match = FRONT_MATTER_RE.match(text.lstrip("\ufeff"))
    if not match:
        return None
    return match.group(1), match.group(2)


def _load_translation(path: Path, lang: Lang, allowed_urls: set[str],
                      out: _Collector) -> Translation | None:
    code = lang.value
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        out.add(path, "", "file is not UTF-8 text", code)
        return None
    parts = _split_front_matter(text)
    if parts is None:
        out.add(path, "", "must start with a front matter block between two '---' lines", code)
        return None
    head, body = parts
    try:
        meta = yaml.load(head, Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        out.add(path, "front matter", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                code)
        return None
    if not isinstance(meta, dict):
        out.add(path, "front matter", "must be a mapping of keys to values", code)
        return None
    before = len(out.problems)
    _unknown_keys(meta, TRANSLATION_KEYS, path, out, code)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        out.add(path, "title", "is required", code)
    raw_status = meta.get("status", TranslationStatus.PUBLISHED.value)
    try:
        status = TranslationStatus(str(raw_status))
    except ValueError:
        out.add(path, "status", f"must be published or draft (got {raw_status!r})", code)
        status = TranslationStatus.DRAFT
    questions = _string_list(meta.get("questions"), path, "questions", out, code)
    if len(questions) < MIN_QUESTIONS:
        out.add(path, "questions", f"needs at least {MIN_QUESTIONS} example questions "
                f"(has {len(questions)})", code)
    keywords = _string_list(meta.get("keywords"), path, "keywords", out, code)
    if not keywords:
        out.add(path, "keywords", "needs at least one keyword", code)
    body = body.strip()
    if not body:
        out.add(path, "body", "the answer text after the front matter is empty", code)
    elif len(body) > MAX_BODY_CHARS:
        out.add(path, "body", f"is {len(body)} characters; keep answers under "
                f"{MAX_BODY_CHARS} (aim for 600-1200)", code)
    for match in MD_LINK_RE.finditer(body):
        url = next(g for g in match.groups() if g)
        if url.startswith(("http://", "https://")) and url.rstrip("/") not in allowed_urls:
            out.add(path, "body", f"link {url} is not among the topic's sources or its "
                    "contacts' web pages; add it to sources in topic.yaml", code)
    if len(out.problems) > before:
        return None
    return Translation(lang=lang, title=title.strip(), body=body, questions=tuple(questions),
                       keywords=tuple(keywords), status=status, path=str(path))


def _load_topic(folder: Path, fld: Field, contacts: dict[str, Contact],
                out: _Collector) -> tuple[Topic | None, list[str]]:
    topic_id = f"{fld.value}/{folder.name}"
    if not SLUG_RE.match(folder.name):
        out.add(folder, "", "topic folder name must be lowercase ASCII letters, digits and '-'")
        return None, []
    meta_path = folder / "topic.yaml"
    if not meta_path.is_file():
        out.add(meta_path, "", "missing: every topic needs topic.yaml with sources and a "
                "review date")
        return None, []
    data = _read_yaml(meta_path, out)
    if not isinstance(data, dict):
        if data is not None:
            out.add(meta_path, "", "must be a mapping of keys to values")
        return None, []
    before = len(out.problems)
    _unknown_keys(data, TOPIC_KEYS, meta_path, out)
    reviewed = _as_date(data.get("reviewed"), meta_path, "reviewed", out)
    sources: list[Source] = []
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        out.add(meta_path, "sources", "needs at least one source (url and title)")
        raw_sources = []
    for i, src in enumerate(raw_sources):
        if not isinstance(src, dict):
            out.add(meta_path, f"sources[{i}]", "must have url and title")
            continue
        _unknown_keys(src, {"url", "title"}, meta_path, out)
        url, title = src.get("url"), src.get("title")
        if not isinstance(url, str) or not URL_RE.match(url):
            out.add(meta_path, f"sources[{i}].url", f"must be an http(s) URL (got {url!r})")
        elif not isinstance(title, str) or not title.strip():
            out.add(meta_path, f"sources[{i}].title", "is required")
        else:
            sources.append(Source(url=url, title=title.strip()))
    topic_contacts: list[Contact] = []
    for cid in _string_list(data.get("contacts"), meta_path, "contacts", out):
        if cid in contacts:
            topic_contacts.append(contacts[cid])
        else:
            out.add(meta_path, "contacts", f"no contact file content/_contacts/{cid}.yaml")
    related = _string_list(data.get("related"), meta_path, "related", out)
    applies_to = _areas(data.get("applies_to"), meta_path, "applies_to", out) or (
        Area.BUNDESWEIT,)
    if len(deep_link_payload(None, topic_id)) > 64:
        out.add(folder, "", "topic ID too long for a Telegram deep link (64 characters)")

    allowed_urls = {s.url.rstrip("/") for s in sources}
    allowed_urls |= {c.web.rstrip("/") for c in topic_contacts if c.web}
    translations: dict[Lang, Translation] = {}
    for path in sorted(folder.iterdir()):
        if path.name == "topic.yaml" or path.name.startswith("."):
            continue
        lang = Lang.parse(path.stem) if path.suffix == ".md" else None
        if lang is None or lang.value != path.stem:
            out.add(path, "", "unexpected file: language files are named like de.md, en.md "
                    f"({', '.join(lang.value + '.md' for lang in Lang)})")
            continue
        tr = _load_translation(path, lang, allowed_urls, out)
        if tr is not None:
            translations[lang] = tr
    if Lang.DE not in translations and not (folder / "de.md").exists():
        out.add(folder / "de.md", "", "missing: German is the source language of every topic",
                "de")
    if len(out.problems) > before or reviewed is None:
        return None, related
    return Topic(id=topic_id, field=fld, reviewed=reviewed, sources=tuple(sources),
                 contacts=tuple(topic_contacts), related=tuple(related),
                 applies_to=applies_to, translations=translations), related


SMALLTALK_INTENTS = ("greeting", "thanks", "bye", "howareyou", "bot", "offtopic", "crisis")


def _load_smalltalk(folder: Path, out: _Collector) -> list[SmallTalkIntent]:
    """``_smalltalk/<lang>.yaml``: intent name -> phrases, one file per language so that
    translators never edit the same file."""
    phrases: dict[str, dict[Lang, tuple[str, ...]]] = {name: {} for name in SMALLTALK_INTENTS}
    if not folder.is_dir():
        return []
    for path in sorted(folder.glob("*.yaml")):
        lang = Lang.parse(path.stem)
        if lang is None or lang.value != path.stem:
            out.add(path, "", "file name must be a language code, e.g. de.yaml")
            continue
        data = _read_yaml(path, out, lang.value)
        if not isinstance(data, dict):
            out.add(path, "", "must map intent names to lists of phrases", lang.value)
            continue
        for name, items in data.items():
            if name not in phrases:
                out.add(path, str(name), "unknown intent (allowed: "
                        f"{', '.join(SMALLTALK_INTENTS)})", lang.value)
                continue
            phrases[name][lang] = tuple(_string_list(items, path, str(name), out, lang.value))
    return [SmallTalkIntent(name, per_lang) for name, per_lang in phrases.items() if per_lang]


def _load_glossaries(folder: Path, topic_ids: set[str], out: _Collector) -> list[Glossary]:
    """``_glossary/<code>.yaml``: phrases in a language without answers, per topic ID."""
    if not folder.is_dir():
        return []
    glossaries: list[Glossary] = []
    for path in sorted(folder.glob("*.yaml")):
        code = path.stem
        if not GLOSSARY_CODE_RE.match(code):
            out.add(path, "", "file name must be an ISO 639 language code, e.g. ku.yaml")
            continue
        if Lang.parse(code) is not None:
            out.add(path, "", f"{code!r} has answers: put its words into the topic files' "
                    "questions and keywords instead", code)
            continue
        data = _read_yaml(path, out, code)
        if not isinstance(data, dict):
            if data is not None:
                out.add(path, "", "must be a mapping with language, name, reviewed, topics",
                        code)
            continue
        before = len(out.problems)
        _unknown_keys(data, GLOSSARY_KEYS, path, out, code)
        if data.get("language") != code:
            out.add(path, "language", f"must be {code!r}, the file name", code)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            out.add(path, "name", "missing: the language's own name for itself", code)
        reviewed = _as_date(data.get("reviewed"), path, "reviewed", out)
        topics = data.get("topics")
        entries: dict[str, tuple[str, ...]] = {}
        if not isinstance(topics, dict) or not topics:
            out.add(path, "topics", "must map topic IDs to lists of phrases", code)
        else:
            for topic_id, items in topics.items():
                if topic_id not in topic_ids:
                    out.add(path, f"topics.{topic_id}", "unknown topic ID", code)
                    continue
                phrases = _string_list(items, path, f"topics.{topic_id}", out, code)
                if not phrases:
                    out.add(path, f"topics.{topic_id}", "needs at least one phrase", code)
                entries[topic_id] = tuple(dict.fromkeys(phrases))
        smalltalk: dict[str, tuple[str, ...]] = {}
        intents = data.get("smalltalk") or {}
        if not isinstance(intents, dict):
            out.add(path, "smalltalk", "must map intent names to lists of phrases", code)
            intents = {}
        for intent, items in intents.items():
            if intent not in SMALLTALK_INTENTS:
                out.add(path, f"smalltalk.{intent}", "unknown intent (allowed: "
                        f"{', '.join(SMALLTALK_INTENTS)})", code)
                continue
            smalltalk[intent] = tuple(dict.fromkeys(
                _string_list(items, path, f"smalltalk.{intent}", out, code)))
        if len(out.problems) == before and reviewed is not None and isinstance(name, str):
            glossaries.append(Glossary(code, name.strip(), reviewed, entries, smalltalk))
    return glossaries


def load_content(root: Path) -> ContentLibrary:
    """Load everything under ``root``; raise ContentError listing all problems if any."""
    out = _Collector(root)
    if not root.is_dir():
        raise ContentError([ContentProblem(str(root), "", "content folder not found")])
    contacts: dict[str, Contact] = {}
    contacts_dir = root / "_contacts"
    if contacts_dir.is_dir():
        for path in sorted(contacts_dir.glob("*.yaml")):
            contact = _load_contact(path, out)
            if contact:
                contacts[contact.id] = contact
    fields: dict[Field, FieldInfo] = {}
    topics: dict[str, Topic] = {}
    related_refs: list[tuple[Path, str]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(("_", ".")):
            continue
        try:
            fld = Field(folder.name)
        except ValueError:
            out.add(folder, "", "unknown field of action (allowed: "
                    f"{', '.join(f.value for f in Field)})")
            continue
        field_file = folder / "_field.yaml"
        if field_file.is_file():
            info = _load_field(field_file, fld, out)
            if info:
                fields[fld] = info
        else:
            out.add(field_file, "", "missing: the field's title per language and menu order")
        for topic_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            topic, related = _load_topic(topic_dir, fld, contacts, out)
            related_refs.extend((topic_dir / "topic.yaml", r) for r in related)
            if topic:
                topics[topic.id] = topic
    known_ids = {f"{p.parent.name}/{p.name}" for p in root.glob("*/*") if p.is_dir()}
    for path, ref in related_refs:
        if ref not in known_ids:
            out.add(path, "related", f"refers to unknown topic {ref!r}")
    smalltalk = _load_smalltalk(root / "_smalltalk", out)
    glossaries = _load_glossaries(root / "_glossary", known_ids, out)
    if out.problems:
        raise ContentError(out.problems)
    return ContentLibrary(fields=fields, topics=topics, contacts=contacts, smalltalk=smalltalk,
                          glossaries=glossaries)
