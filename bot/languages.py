"""The closed vocabulary of languages the bot speaks, and facts about each (script, direction).

Language names shown to users come from babel's CLDR data in their own script, so no
translation table lives in code.
"""

from __future__ import annotations

from enum import StrEnum

from babel import Locale


class Lang(StrEnum):
    """Languages with content and UI translations, in the order the language picker shows."""

    DE = "de"
    EN = "en"
    UK = "uk"
    RU = "ru"
    AR = "ar"
    TR = "tr"
    FA = "fa"
    PL = "pl"
    RO = "ro"

    @property
    def is_rtl(self) -> bool:
        """Arabic and Farsi are written right to left; renderers isolate embedded LTR runs."""
        return self in RTL

    @property
    def native_name(self) -> str:
        """The language's name in its own script (CLDR via babel), capitalised for buttons."""
        name = Locale.parse(self.value).get_display_name(self.value) or self.value
        return name[:1].upper() + name[1:]

    @classmethod
    def parse(cls, value: str | None) -> Lang | None:
        """Map a code like ``de-AT`` or ``pt-br`` to a supported language, else ``None``."""
        if not value:
            return None
        code = value.replace("_", "-").split("-")[0].lower()
        try:
            return cls(code)
        except ValueError:
            return None


RTL = frozenset({Lang.AR, Lang.FA})

DEFAULT_LANG = Lang.DE
# When a topic lacks the user's language: the user's second choice is English, then German.
FALLBACK_CHAIN: tuple[Lang, ...] = (Lang.EN, Lang.DE)


def fallback_order(preferred: Lang) -> list[Lang]:
    """Languages to try for content, best first, without duplicates."""
    order = [preferred, *FALLBACK_CHAIN]
    return list(dict.fromkeys(order))
