"""One error hierarchy for the whole bot.

Only ``bot.__main__`` turns these into exit codes; everything else raises them and lets the
caller decide. Each carries a message meant for a human (staff member, operator).
"""

from __future__ import annotations

from dataclasses import dataclass


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    exit_code = 1


class ConfigError(BotError):
    """A setting is missing or malformed; the operator has to fix the environment."""

    exit_code = 78  # EX_CONFIG


@dataclass(frozen=True)
class ContentProblem:
    """One problem in the content files, located precisely enough for staff to fix it."""

    file: str
    field: str
    message: str
    lang: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.lang:
            where += f" [{self.lang}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class ContentError(BotError):
    """The content files are invalid; lists every problem at once, not just the first."""

    exit_code = 65  # EX_DATAERR

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the content files:\n{lines}")


class StorageError(BotError):
    """The database could not be reached or written even after retrying."""

    exit_code = 69  # EX_UNAVAILABLE


class UsageError(BotError):
    """The command line was used wrongly (bad file, bad argument)."""

    exit_code = 64  # EX_USAGE
