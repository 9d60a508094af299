"""Shared fixtures: the real content and core are built once per session (they are
immutable), while storage is a fresh SQLite file per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.content.loader import load_content
from bot.content.model import ContentLibrary
from bot.dialog.engine import DialogEngine
from bot.i18n import Catalogs
from bot.matching.matcher import Matcher
from bot.storage import Storage


@pytest.fixture(scope="session")
def library() -> ContentLibrary:
    return load_content(PROJECT_ROOT / "content")


@pytest.fixture(scope="session")
def matcher(library: ContentLibrary) -> Matcher:
    return Matcher(library)


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs(PROJECT_ROOT / "locales")


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(f"sqlite:///{tmp_path / 'test.sqlite3'}")


@pytest.fixture
def engine(library: ContentLibrary, matcher: Matcher, catalogs: Catalogs,
           storage: Storage) -> DialogEngine:
    return DialogEngine(library, matcher, catalogs, storage)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}"},
                         dotenv_path=tmp_path / "none.env")


@pytest.fixture
def core(settings: Settings, library: ContentLibrary, matcher: Matcher,
         catalogs: Catalogs) -> Core:
    storage = Storage(settings.database_url)
    return Core(library, matcher, catalogs, storage,
                DialogEngine(library, matcher, catalogs, storage))


__all__ = ["build_core"]
