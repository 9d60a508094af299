"""SQLAlchemy models and the Storage interface the core uses."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    select,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.errors import StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    area: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(80), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class UnansweredRow(Base):
    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    best_guess: Mapped[str | None] = mapped_column(String(80), nullable=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


@dataclass(frozen=True)
class Prefs:
    """What the bot remembers about a user: nothing more than this."""

    lang: str | None = None
    area: str | None = None
    known: bool = False
    area_asked: bool = False


@dataclass(frozen=True)
class UnansweredGroup:
    text: str
    lang: str | None
    count: int
    last_seen: dt.datetime
    best_guess: str | None


class Storage:
    """Small interface over the database; every call retries briefly, then raises
    StorageError so callers can degrade (answer anyway) instead of losing the user."""

    def __init__(self, url: str, retries: int = 3, backoff: float = 0.2) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_engine(url, pool_pre_ping=True)
        self._session = sessionmaker(self._engine, expire_on_commit=False)
        self._retries = retries
        self._backoff = backoff
        self._retry(self._migrate)

    def _migrate(self) -> None:
        """Bring the schema to the latest Alembic revision (safe to run in every process:
        Alembic's version table makes a finished migration a no-op)."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._engine.begin() as connection:
            config.attributes["connection"] = connection
            alembic_command.upgrade(config, "head")

    def _retry(self, op: Callable[[], T]) -> T:
        for attempt in range(1, self._retries + 1):
            try:
                return op()
            except OperationalError as exc:
                if attempt == self._retries:
                    raise StorageError(f"database unavailable: {exc.orig}") from exc
                log.warning("database error (attempt %d/%d): %s", attempt, self._retries,
                            exc.orig)
                time.sleep(self._backoff * attempt)
        raise AssertionError("unreachable")

    def _tx(self, fn: Callable[[Session], T]) -> T:
        def op() -> T:
            with self._session.begin() as session:
                return fn(session)
        return self._retry(op)

    def get_prefs(self, channel: str, external_id: str) -> Prefs:
        def fn(s: Session) -> Prefs:
            row = s.scalar(select(UserRow).where(UserRow.channel == channel,
                                                 UserRow.external_id == external_id))
            return Prefs(row.lang, row.area, True, row.area_asked) if row else Prefs()
        return self._tx(fn)

    def update_prefs(self, channel: str, external_id: str,
                     **changes: str | bool | None) -> Prefs:
        allowed = {"lang", "area", "area_asked"}
        if set(changes) - allowed:
            raise ValueError(f"unknown preference {set(changes) - allowed}")

        def fn(s: Session) -> Prefs:
            row = s.scalar(select(UserRow).where(UserRow.channel == channel,
                                                 UserRow.external_id == external_id))
            if row is None:
                row = UserRow(channel=channel, external_id=external_id)
                s.add(row)
            for key, value in changes.items():
                setattr(row, key, value)
            return Prefs(row.lang, row.area, True, bool(row.area_asked))
        return self._tx(fn)

    def forget_user(self, channel: str, external_id: str) -> bool:
        """Delete everything stored about a user (feedback and questions are anonymous)."""
        def fn(s: Session) -> bool:
            row = s.scalar(select(UserRow).where(UserRow.channel == channel,
                                                 UserRow.external_id == external_id))
            if row is None:
                return False
            s.delete(row)
            return True
        return self._tx(fn)

    def export_user(self, channel: str, external_id: str) -> dict[str, str | bool | None]:
        """Everything stored about one user, for a data access request."""
        prefs = self.get_prefs(channel, external_id)
        return {"channel": channel, "user": external_id, "language": prefs.lang,
                "area": prefs.area, "asked_for_area": prefs.area_asked}

    def add_feedback(self, topic_id: str, lang: str, helpful: bool) -> None:
        self._tx(lambda s: s.add(FeedbackRow(topic_id=topic_id, lang=lang, helpful=helpful)))

    def feedback_counts(self) -> dict[str, tuple[int, int]]:
        def fn(s: Session) -> dict[str, tuple[int, int]]:
            rows = s.execute(select(FeedbackRow.topic_id, FeedbackRow.helpful,
                                    func.count()).group_by(FeedbackRow.topic_id,
                                                           FeedbackRow.helpful))
            out: dict[str, list[int]] = {}
            for topic_id, helpful, n in rows:
                out.setdefault(topic_id, [0, 0])[0 if helpful else 1] += n
            return {k: (v[0], v[1]) for k, v in out.items()}
        return self._tx(fn)

    def add_unanswered(self, text: str, lang: str | None, best_guess: str | None,
                       score: float) -> None:
        self._tx(lambda s: s.add(UnansweredRow(text=text[:1000], lang=lang,
                                               best_guess=best_guess, score=score)))

    def unanswered_summary(self, limit: int = 50) -> list[UnansweredGroup]:
        def fn(s: Session) -> list[UnansweredGroup]:
            key = func.lower(func.trim(UnansweredRow.text))
            rows = s.execute(
                select(func.min(UnansweredRow.text), UnansweredRow.lang, func.count(),
                       func.max(UnansweredRow.created_at), func.max(UnansweredRow.best_guess))
                .group_by(key, UnansweredRow.lang)
                .order_by(func.count().desc(), func.max(UnansweredRow.created_at).desc())
                .limit(limit))
            return [UnansweredGroup(t, lang, n, last, guess)
                    for t, lang, n, last, guess in rows]
        return self._tx(fn)
