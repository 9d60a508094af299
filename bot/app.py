"""Assemble the core once at start-up: content, matcher, catalogs, storage, engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.content.loader import load_content
from bot.content.model import ContentLibrary
from bot.dialog.engine import DialogEngine
from bot.i18n import Catalogs
from bot.matching.matcher import Matcher
from bot.storage import Storage


@dataclass(frozen=True)
class Core:
    library: ContentLibrary
    matcher: Matcher
    catalogs: Catalogs
    storage: Storage | None
    engine: DialogEngine


def build_core(settings: Settings, with_storage: bool = True) -> Core:
    """Raises ContentError (all problems listed) before anything starts serving users."""
    library = load_content(settings.content_dir)
    matcher = Matcher(library, cache_dir=settings.index_cache_dir)
    catalogs = Catalogs(settings.locales_dir)
    storage = Storage(settings.database_url) if with_storage else None
    engine = DialogEngine(library, matcher, catalogs, storage)
    return Core(library, matcher, catalogs, storage, engine)
