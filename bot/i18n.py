"""UI strings from gettext catalogs (``locales/<lang>/LC_MESSAGES/messages.po``).

The ``.po`` files are compiled in memory with babel at start-up, so a translator's edit
takes effect on the next start without a build step and no stale ``.mo`` can ship.
Content (answers) is not here: it lives in ``content/`` with its own review workflow.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.languages import Lang

log = logging.getLogger(__name__)
DOMAIN = "messages"


class Catalogs:
    """One compiled catalog per language; missing strings fall back to the English msgid."""

    def __init__(self, locales_dir: Path) -> None:
        self._translations: dict[Lang, gettext.NullTranslations] = {}
        for lang in Lang:
            po_path = locales_dir / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po_path.is_file():
                self._translations[lang] = gettext.NullTranslations()
                continue
            with po_path.open("rb") as f:
                catalog = read_po(f, locale=lang.value)
            buf = io.BytesIO()
            write_mo(buf, catalog, use_fuzzy=False)
            buf.seek(0)
            self._translations[lang] = gettext.GNUTranslations(buf)

    def gettext(self, lang: Lang) -> Callable[[str], str]:
        return self._translations[lang].gettext

    def ngettext(self, lang: Lang) -> Callable[[str, str, int], str]:
        return self._translations[lang].ngettext


def format_day(day, lang: Lang) -> str:
    """A review date the way people of that language write dates (CLDR medium format)."""
    try:
        return format_date(day, format="medium", locale=lang.value)
    except Exception:  # babel lacks a locale: ISO is understood everywhere
        log.debug("no date format for %s", lang)
        return day.isoformat()
