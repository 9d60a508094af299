"""The dialog engine: one input in, reply objects out. Knows nothing about Telegram.

Stateless between messages except for the user's stored preferences (language, area),
so any number of bot processes can serve the same users. Each behaviour (start, menu,
answer, feedback, ...) is one method here and is tested once for all channels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.content.model import Area, Contact, ContentLibrary, Field, Topic
from bot.content.topic_ids import parse_deep_link
from bot.dialog.payloads import (
    Action,
    Payload,
    feedback_payload,
    lang_payload,
    parse_payload,
    topic_payload,
)
from bot.dialog.replies import Button, Inbound, InputKind, Reply, ReplyKind
from bot.errors import StorageError
from bot.i18n import Catalogs, format_day
from bot.languages import DEFAULT_LANG, Lang
from bot.matching.matcher import Decision, Matcher, MatchResult
from bot.render import escape_markdown
from bot.storage import Prefs, Storage

log = logging.getLogger(__name__)

CONTACT_TOPIC = "verwaltung/kontakt"
CRISIS_TOPICS = ("gesundheit/psychisch",)
NEW_MESSAGE = "new"
MAX_RELATED_BUTTONS = 2
MAX_SOURCES_SHOWN = 3


@dataclass(frozen=True)
class Context:
    """Everything a handler needs about this turn; built once per input."""

    inbound: Inbound
    prefs: Prefs
    lang: Lang

    @property
    def area(self) -> Area | None:
        try:
            return Area(self.prefs.area) if self.prefs.area else None
        except ValueError:
            return None


class DialogEngine:
    def __init__(self, library: ContentLibrary, matcher: Matcher, catalogs: Catalogs,
                 storage: Storage | None = None) -> None:
        self.library = library
        self.matcher = matcher
        self.catalogs = catalogs
        self.storage = storage

    # ------------------------------------------------------------------ entry point
    def handle(self, inbound: Inbound) -> list[Reply]:
        prefs = self._prefs(inbound)
        lang = Lang.parse(prefs.lang) or Lang.parse(inbound.client_lang) or DEFAULT_LANG
        ctx = Context(inbound, prefs, lang)
        if inbound.kind is InputKind.COMMAND:
            return self._command(ctx)
        if inbound.kind is InputKind.BUTTON:
            return self._button(ctx)
        if inbound.kind is InputKind.LOCATION:
            return [self._area_picker(ctx)]
        if inbound.kind is InputKind.MEDIA:
            _ = self._(ctx.lang)
            return [self._fields_menu(ctx, intro=_(
                "I can only read written messages. Please type your question in a few "
                "words, or choose a topic:"))]
        return self.answer_text(ctx)[1]

    def _(self, lang: Lang) -> Callable[[str], str]:
        return self.catalogs.gettext(lang)

    def command_menu(self, lang: Lang) -> list[tuple[str, str]]:
        """Commands and their descriptions for the channel's command menu."""
        _ = self._(lang)
        return [("menu", _("Browse all topics")), ("language", _("Change the language")),
                ("where", _("Where you live, for the right office")),
                ("contact", _("Talk to a person")), ("help", _("How to use this bot")),
                ("privacy", _("What is stored, delete my data"))]

    def apology(self, lang: Lang) -> Reply:
        """Said when something broke while answering: nothing the user did wrong."""
        _ = self._(lang)
        return Reply(ReplyKind.INFO, _("Sorry, something went wrong on my side. Please try "
                                       "again in a moment."), lang,
                     buttons=self._menu_row(lang))

    # ------------------------------------------------------------------ preferences
    def _prefs(self, inbound: Inbound) -> Prefs:
        if self.storage is None:
            return Prefs()
        try:
            return self.storage.get_prefs(inbound.user.channel, inbound.user.id)
        except StorageError:
            log.exception("could not read preferences; answering with defaults")
            return Prefs()

    def _save_prefs(self, ctx: Context, **changes: str | None) -> None:
        if self.storage is None:
            return
        try:
            self.storage.update_prefs(ctx.inbound.user.channel, ctx.inbound.user.id, **changes)
        except StorageError:
            log.exception("could not save preferences %s", changes)

    # ------------------------------------------------------------------ commands
    def _command(self, ctx: Context) -> list[Reply]:
        cmd = ctx.inbound.command
        if cmd == "start":
            return self._start(ctx)
        if cmd in ("language", "lang", "sprache"):
            return [self._language_picker(ctx)]
        if cmd == "menu":
            return [self._fields_menu(ctx)]
        if cmd == "help":
            return [self._help(ctx)]
        if cmd in ("where", "area", "ort"):
            return [self._area_picker(ctx)]
        if cmd == "privacy":
            return [self._privacy(ctx)]
        if cmd == "contact":
            return self._topic_replies(ctx, CONTACT_TOPIC)
        _ = self._(ctx.lang)
        return [Reply(ReplyKind.INFO, _("I don't know this command.") + "\n\n"
                      + self._help_text(ctx.lang), ctx.lang, buttons=self._menu_row(ctx.lang))]

    def _start(self, ctx: Context) -> list[Reply]:
        link = parse_deep_link(ctx.inbound.text)
        lang = link.lang or Lang.parse(ctx.prefs.lang)
        if link.lang and link.lang.value != ctx.prefs.lang:
            self._save_prefs(ctx, lang=link.lang.value)
        if lang is None:
            return [self._language_picker(ctx, welcome=True)]
        ctx = Context(ctx.inbound, ctx.prefs, lang)
        if link.topic_id and link.topic_id in self.library.topics:
            return self._topic_replies(ctx, link.topic_id)
        if link.field and link.field in {f.value for f in Field}:
            return [self._topics_menu(ctx, Field(link.field))]
        _ = self._(lang)
        welcome = _("Welcome! I answer questions about living in the district of "
                    "Kaiserslautern: German courses, residence, work, family, health and "
                    "more.") + "\n\n" + _("Type your question in your own words, in any "
                                          "language, or choose a topic:")
        return [self._fields_menu(ctx, intro=welcome)]

    def _help_text(self, lang: Lang) -> str:
        _ = self._(lang)
        return "\n".join([
            _("Type a question in your own words, for example: "
              "“Where can I learn German?”"),
            "",
            _("/menu – browse all topics"),
            _("/language – change the language"),
            _("/where – tell me where you live, for the right office"),
            _("/contact – talk to a person at the district's integration office"),
            _("/privacy – what I store and how to delete it"),
        ])

    def _help(self, ctx: Context) -> Reply:
        return Reply(ReplyKind.INFO, self._help_text(ctx.lang), ctx.lang,
                     buttons=self._menu_row(ctx.lang))

    def _privacy(self, ctx: Context) -> Reply:
        _ = self._(ctx.lang)
        text = "\n\n".join([
            _("I store only your chosen language and, if you tell me, where you live. "
              "Questions I could not answer and your feedback are stored without your "
              "name or ID, so that staff can improve the answers."),
            _("You can delete your data at any time:"),
        ])
        return Reply(ReplyKind.INFO, text, ctx.lang, buttons=(
            (Button(_("Delete my data"), Payload(Action.FORGET).encode()),),
            *self._menu_row(ctx.lang)))

    # ------------------------------------------------------------------ buttons
    def _button(self, ctx: Context) -> list[Reply]:
        payload = parse_payload(ctx.inbound.payload)
        _ = self._(ctx.lang)
        if payload is None:
            return [self._fields_menu(ctx, edit=True)]
        if payload.action is Action.LANG:
            lang = Lang.parse(payload.arg)
            if lang is None:
                return [self._language_picker(ctx)]
            self._save_prefs(ctx, lang=lang.value)
            ctx = Context(ctx.inbound, ctx.prefs, lang)
            _ = self._(lang)
            intro = _("Language set: {language}.").format(language=lang.native_name)
            intro += "\n\n" + _("Type your question in your own words, in any language, "
                                "or choose a topic:")
            return [self._fields_menu(ctx, intro=intro, edit=True)]
        if payload.action is Action.MENU:
            # "menu:new" sits under answers: keep the answer, show the menu below it.
            return [self._fields_menu(ctx, edit=payload.arg != NEW_MESSAGE)]
        if payload.action is Action.FIELD:
            try:
                return [self._topics_menu(ctx, Field(payload.arg), edit=True)]
            except ValueError:
                return [self._fields_menu(ctx, edit=True)]
        if payload.action is Action.TOPIC:
            if payload.arg not in self.library.topics:
                return [self._fields_menu(ctx)]
            return self._topic_replies(ctx, payload.arg)
        if payload.action is Action.FEEDBACK:
            return self._feedback(ctx, payload.arg, payload.flag == "1")
        if payload.action is Action.AREA:
            return self._set_area(ctx, payload.arg)
        if payload.action is Action.HELP:
            return [self._help(ctx)]
        if payload.action is Action.FORGET:
            return [self._forget(ctx)]
        return [self._fields_menu(ctx, edit=True)]

    def _feedback(self, ctx: Context, topic_id: str, helpful: bool) -> list[Reply]:
        _ = self._(ctx.lang)
        if self.storage is not None and topic_id in self.library.topics:
            try:
                self.storage.add_feedback(topic_id, ctx.lang.value, helpful)
            except StorageError:
                log.exception("feedback for %s not stored", topic_id)
        if helpful:
            return [Reply(ReplyKind.ACK, _("Thank you for your feedback!"), ctx.lang,
                          remove_origin_buttons=True)]
        text = _("Thank you for telling me. A person at the integration office can help "
                 "you further.")
        return [Reply(ReplyKind.ACK, _("Thank you for your feedback!"), ctx.lang,
                      remove_origin_buttons=True),
                Reply(ReplyKind.INFO, text, ctx.lang, buttons=(
                    (Button(_("Talk to a person"), topic_payload(CONTACT_TOPIC)),),
                    *self._menu_row(ctx.lang)))]

    def _forget(self, ctx: Context) -> Reply:
        _ = self._(ctx.lang)
        if self.storage is not None:
            try:
                self.storage.forget_user(ctx.inbound.user.channel, ctx.inbound.user.id)
            except StorageError:
                return Reply(ReplyKind.INFO, _("Sorry, I could not delete your data right "
                                               "now. Please try again later."), ctx.lang)
        return Reply(ReplyKind.INFO, _("Your data has been deleted."), ctx.lang, edit=True)

    # ------------------------------------------------------------------ area (city vs district)
    def _area_picker(self, ctx: Context) -> Reply:
        _ = self._(ctx.lang)
        areas = [Area.STADT_KAISERSLAUTERN, Area.BRUCHMUEHLBACH_MIESAU,
                 Area.ENKENBACH_ALSENBORN, Area.LANDSTUHL, Area.OTTERBACH_OTTERBERG,
                 Area.RAMSTEIN_MIESENBACH, Area.WEILERBACH]
        labels = {Area.STADT_KAISERSLAUTERN: _("City of Kaiserslautern")}
        rows = [(Button(labels.get(a) or _AREA_NAMES[a], Payload(Action.AREA, a.value).encode()),)
                for a in areas]
        text = _("Where do you live? Some offices differ between the city of Kaiserslautern "
                 "and the municipalities of the district.")
        return Reply(ReplyKind.MENU, text, ctx.lang, buttons=tuple(rows))

    def _set_area(self, ctx: Context, value: str) -> list[Reply]:
        _ = self._(ctx.lang)
        try:
            area = Area(value)
        except ValueError:
            return [self._area_picker(ctx)]
        self._save_prefs(ctx, area=area.value)
        name = (_("City of Kaiserslautern") if area is Area.STADT_KAISERSLAUTERN
                else _AREA_NAMES.get(area, area.value))
        return [Reply(ReplyKind.INFO, _("Saved: {place}. I will show you the offices for "
                                        "your place.").format(place=name), ctx.lang,
                      edit=True, buttons=self._menu_row(ctx.lang))]

    # ------------------------------------------------------------------ menus
    def _language_picker(self, ctx: Context, welcome: bool = False) -> Reply:
        available = self.library.languages() or [DEFAULT_LANG]
        rows, row = [], []
        for lang in available:
            row.append(Button(lang.native_name, lang_payload(lang)))
            if len(row) == 3:
                rows.append(tuple(row))
                row = []
        if row:
            rows.append(tuple(row))
        # Shown before a language is known: say it in the app's language and in German.
        langs = list(dict.fromkeys([ctx.lang, Lang.DE, Lang.EN]))
        lines = []
        for lang in langs:
            _ = self._(lang)
            lines.append(_("Please choose your language:"))
        if welcome:
            lines.insert(0, "👋")
        return Reply(ReplyKind.LANGUAGE_PICKER, "\n".join(dict.fromkeys(lines)), ctx.lang,
                     buttons=tuple(rows))

    def _fields_menu(self, ctx: Context, intro: str | None = None, edit: bool = False) -> Reply:
        _ = self._(ctx.lang)
        rows = [(Button(f.title(ctx.lang), Payload(Action.FIELD, f.field.value).encode()),)
                for f in self.library.ordered_fields() if self.library.topics_in(f.field)]
        rows.append((Button("🗣 " + _("Talk to a person"), topic_payload(CONTACT_TOPIC)),
                     Button("🌐 " + _("Language"), Payload(Action.LANG).encode())))
        return Reply(ReplyKind.MENU, intro or _("Choose a topic:"), ctx.lang,
                     buttons=tuple(rows), edit=edit)

    def _topics_menu(self, ctx: Context, fld: Field, edit: bool = False) -> Reply:
        _ = self._(ctx.lang)
        info = self.library.fields.get(fld)
        rows = []
        for topic in self.library.topics_in(fld):
            tr = topic.best_translation(ctx.lang)
            if tr is not None:
                rows.append((Button(tr.title, topic_payload(topic.id)),))
        rows.append((Button("⬅ " + _("Back"), Payload(Action.MENU).encode()),))
        title = info.title(ctx.lang) if info else fld.value
        return Reply(ReplyKind.MENU, f"**{escape_markdown(title)}**", ctx.lang,
                     buttons=tuple(rows), edit=edit)

    def _menu_row(self, lang: Lang) -> tuple[tuple[Button, ...], ...]:
        _ = self._(lang)
        return ((Button("☰ " + _("Menu"), Payload(Action.MENU, NEW_MESSAGE).encode()),),)

    # ------------------------------------------------------------------ answers
    def answer_text(self, ctx: Context) -> tuple[MatchResult, list[Reply]]:
        """Free text: match, choose the reply language, and answer, ask back or admit."""
        text = ctx.inbound.text
        result = self.matcher.match(text)
        lang = self._reply_lang(ctx, result)
        if lang.value != ctx.prefs.lang and not ctx.prefs.lang and result.detected_lang:
            self._save_prefs(ctx, lang=lang.value)
        ctx = Context(ctx.inbound, ctx.prefs, lang)
        _ = self._(lang)
        if result.decision is Decision.EMPTY:
            return result, [self._fields_menu(ctx, intro=_("Type your question, or choose a "
                                                           "topic:"))]
        if result.decision is Decision.SMALLTALK:
            return result, [self._smalltalk(ctx, result.smalltalk or "")]
        if result.decision is Decision.CRISIS:
            return result, self._crisis(ctx)
        notice: list[Reply] = []
        if result.foreign:
            notice.append(Reply(ReplyKind.INFO, "_" + _(
                "I cannot write in your language yet, so I answer in {language}. You can "
                "choose another language with /language.").format(language=lang.native_name)
                + "_", lang))
        if result.decision is Decision.ANSWER and result.topic_id:
            return result, notice + self._topic_replies(ctx, result.topic_id)
        if result.decision is Decision.CLARIFY and result.topic_id:
            options = [result.topic_id, *result.alternatives[:2]]
            rows = [(Button(self._title(t, lang), topic_payload(t)),) for t in options]
            rows.append((Button(_("None of these"), Payload(Action.MENU).encode()),))
            return result, [*notice, Reply(ReplyKind.CLARIFY, _("Did you mean:"), lang,
                                           buttons=tuple(rows), topic_id=result.topic_id)]
        return result, [*notice, self._not_sure(ctx, result)]

    def _reply_lang(self, ctx: Context, result: MatchResult) -> Lang:
        if result.detected_lang is not None:
            return result.detected_lang
        if ctx.prefs.lang:
            return ctx.lang
        return Lang.parse(ctx.inbound.client_lang) or result.best_doc_lang or DEFAULT_LANG

    def _crisis(self, ctx: Context) -> list[Reply]:
        """Someone may be in danger: say so plainly, then the crisis help and emergency
        topics (their numbers and lines come from the sourced content)."""
        _ = self._(ctx.lang)
        urgent = Reply(ReplyKind.INFO, "**" + _("If you or someone else is in danger right "
                                                "now, call 112 (free, day and night).")
                       + "**", ctx.lang)
        replies = [urgent]
        for topic_id in CRISIS_TOPICS:
            if topic_id in self.library.topics:
                replies.append(self.render_topic(self.library.topics[topic_id], ctx.lang,
                                                 ctx.area))
        return replies

    def _not_sure(self, ctx: Context, result: MatchResult) -> Reply:
        _ = self._(ctx.lang)
        if self.storage is not None:
            try:
                # The language it was written in, for staff: a Kurdish question stored as
                # German would hide what content is missing.
                asked_in = (result.foreign_lang or "und") if result.foreign else ctx.lang.value
                self.storage.add_unanswered(ctx.inbound.text, asked_in,
                                            result.ranked[0][0] if result.ranked else None,
                                            result.confidence)
            except StorageError:
                log.exception("unanswered question not stored")
        rows = [(Button(self._title(t, ctx.lang), topic_payload(t)),)
                for t in result.alternatives[:2]]
        rows.append((Button("🗣 " + _("Talk to a person"), topic_payload(CONTACT_TOPIC)),))
        rows.extend(self._menu_row(ctx.lang))
        text = _("I am not sure I understood your question, and I don't want to give you a "
                 "wrong answer.")
        text += "\n\n" + _("You can rephrase it, browse the topics in the menu, or ask a "
                           "person at the district's integration office.")
        if result.alternatives:
            text += "\n\n" + _("Maybe one of these helps:")
        return Reply(ReplyKind.NOT_SURE, text, ctx.lang, buttons=tuple(rows))

    def _smalltalk(self, ctx: Context, intent: str) -> Reply:
        _ = self._(ctx.lang)
        texts = {
            "greeting": _("Hello! Ask me your question, or open the menu."),
            "thanks": _("You're welcome! Ask me anytime."),
            "bye": _("Goodbye, and all the best!"),
            "howareyou": _("I'm fine, thank you! How can I help you?"),
            "bot": _("I am a bot of the district of Kaiserslautern. I answer questions about "
                     "integration offers; for personal advice I show you the right office."),
        }
        text = texts.get(intent, _("I can only help with questions about living in the "
                                   "district of Kaiserslautern, such as German courses, "
                                   "residence, work, family or health."))
        return Reply(ReplyKind.SMALLTALK, text, ctx.lang, buttons=self._menu_row(ctx.lang))

    def _title(self, topic_id: str, lang: Lang) -> str:
        topic = self.library.topics.get(topic_id)
        tr = topic.best_translation(lang) if topic else None
        return tr.title if tr else topic_id

    def _topic_replies(self, ctx: Context, topic_id: str) -> list[Reply]:
        """The answer; the first time an answer depends on where the user lives (city or
        district office), also ask where that is, once, and remember it."""
        topic = self.library.topics[topic_id]
        replies = [self.render_topic(topic, ctx.lang, ctx.area)]
        if (ctx.area is None and not ctx.prefs.area_asked and self.storage is not None
                and _differs_by_area(topic)):
            self._save_prefs(ctx, area_asked=True)
            replies.append(self._area_picker(ctx))
        return replies

    def render_topic(self, topic: Topic, lang: Lang, area: Area | None = None) -> Reply:
        """The answer card: text, where to go, sources and review date, feedback buttons."""
        tr = topic.best_translation(lang)
        if tr is None:  # cannot happen for loaded content: every topic has German
            raise LookupError(topic.id)
        _ = self._(lang)
        parts: list[str] = []
        if tr.lang is not lang:
            parts.append("_" + _("This answer is not yet available in {language}. Here it "
                                 "is in {other}.").format(language=lang.native_name,
                                                          other=tr.lang.native_name) + "_")
        parts.append(f"**{escape_markdown(tr.title)}**")
        parts.append(tr.body)
        contacts = self._contacts_for(topic, area)
        if contacts:
            parts.append("**" + _("Where to go") + "**\n\n" + "\n".join(
                self._contact_line(c, lang) for c in contacts))
        sources = ", ".join(f"[{escape_markdown(s.title)}]({s.url})"
                            for s in topic.sources[:MAX_SOURCES_SHOWN])
        parts.append(_("Sources: {sources}").format(sources=sources) + "  \n"
                     + _("Last checked: {date}").format(date=format_day(topic.reviewed, lang)))
        rows: list[tuple[Button, ...]] = [
            (Button("👍 " + _("Helpful"), feedback_payload(topic.id, True)),
             Button("👎 " + _("Not helpful"), feedback_payload(topic.id, False)))]
        for rel in topic.related[:MAX_RELATED_BUTTONS]:
            if rel in self.library.topics:
                rows.append((Button("➡ " + self._title(rel, lang), topic_payload(rel)),))
        rows.extend(self._menu_row(lang))
        return Reply(ReplyKind.ANSWER, "\n\n".join(parts), lang, buttons=tuple(rows),
                     topic_id=topic.id, meta={"content_lang": tr.lang.value})

    def _contacts_for(self, topic: Topic, area: Area | None) -> list[Contact]:
        if area is None:
            return list(topic.contacts)
        wanted = {area, Area.BUNDESWEIT}
        if area is not Area.STADT_KAISERSLAUTERN:
            wanted.add(Area.LANDKREIS)
        chosen = [c for c in topic.contacts if wanted & set(c.serves)]
        return chosen or list(topic.contacts)

    def _contact_line(self, contact: Contact, lang: Lang) -> str:
        _ = self._(lang)
        lines = [f"• **{escape_markdown(contact.name)}**"]
        details = [escape_markdown(d) for d in (contact.address, contact.hours) if d]
        if contact.phone:
            details.append("☎ " + escape_markdown(contact.phone))
        if contact.email:
            details.append(f"✉ [{escape_markdown(contact.email)}](mailto:{contact.email})")
        if contact.web:
            label = _("Website")
            details.append(f"[{label}]({contact.web})")
        if details:
            lines.append("  " + " · ".join(details))
        return "  \n".join(lines)


def _differs_by_area(topic: Topic) -> bool:
    """True when the city of Kaiserslautern and the district have different offices."""
    served = [set(c.serves) for c in topic.contacts]
    city_only = any(Area.STADT_KAISERSLAUTERN in s and Area.LANDKREIS not in s for s in served)
    district_only = any(Area.STADT_KAISERSLAUTERN not in s and Area.BUNDESWEIT not in s
                        for s in served)
    return city_only and district_only


_AREA_NAMES = {
    Area.BRUCHMUEHLBACH_MIESAU: "VG Bruchmühlbach-Miesau",
    Area.ENKENBACH_ALSENBORN: "VG Enkenbach-Alsenborn",
    Area.LANDSTUHL: "VG Landstuhl",
    Area.OTTERBACH_OTTERBERG: "VG Otterbach-Otterberg",
    Area.RAMSTEIN_MIESENBACH: "VG Ramstein-Miesenbach",
    Area.WEILERBACH: "VG Weilerbach",
    Area.LANDKREIS: "Landkreis Kaiserslautern",
    Area.BUNDESWEIT: "Deutschland",
}
