"""Telegram adapter (python-telegram-bot v22): translates updates into core inputs and
reply objects into Bot API calls. It knows nothing about matching or content.

Handlers are stateless: button payloads are parsed by the core, preferences live in the
database, so several processes (later: webhooks behind a web server) can serve one bot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import Core
from bot.config import Settings
from bot.dialog.replies import Inbound, InputKind, Reply, ReplyKind, UserRef
from bot.errors import StorageError
from bot.languages import DEFAULT_LANG, Lang
from bot.render import telegram_chunks

log = logging.getLogger(__name__)
CHANNEL = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b.label, callback_data=b.payload) if b.payload
         else InlineKeyboardButton(b.label, url=b.url) for b in row]
        for row in reply.buttons])


def _inbound(update: Update) -> Inbound | None:
    """The core's view of an update; ``None`` for updates the bot does not act on."""
    user = update.effective_user
    if user is None:
        return None
    ref = UserRef(CHANNEL, str(user.id))
    lang = user.language_code
    if update.callback_query is not None:
        return Inbound(ref, InputKind.BUTTON, payload=update.callback_query.data or "",
                       client_lang=lang)
    message = update.effective_message
    if message is None:
        return None
    if message.location is not None:
        return Inbound(ref, InputKind.LOCATION, client_lang=lang,
                       location=(message.location.latitude, message.location.longitude))
    text = message.text or message.caption or ""
    if not text:  # a voice message, sticker, photo without caption ...
        return Inbound(ref, InputKind.MEDIA, client_lang=lang)
    if text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        return Inbound(ref, InputKind.COMMAND, command=command, text=args.strip(),
                       client_lang=lang)
    return Inbound(ref, InputKind.TEXT, text=text, client_lang=lang)


class TelegramChannel:
    """Holds the core; its methods are the Application's handlers."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = _inbound(update)
        if inbound is None:
            return
        replies = await asyncio.to_thread(self.core.engine.handle, inbound)
        await self.deliver(update, context, replies)

    async def deliver(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                      replies: list[Reply]) -> None:
        query = update.callback_query
        origin: Message | None = query.message if query and isinstance(
            query.message, Message) else None
        chat_id = update.effective_chat.id if update.effective_chat else None
        answered = False
        for reply in replies:
            if reply.kind is ReplyKind.ACK:
                if query is not None and not answered:
                    await query.answer(reply.text[:200])
                    answered = True
                if origin is not None and reply.remove_origin_buttons:
                    await self._remove_buttons(origin)
                continue
            chunks = telegram_chunks(reply.text, rtl=reply.rtl)
            markup = _markup(reply)
            if (reply.edit and origin is not None and len(chunks) == 1
                    and await self._edit(origin, chunks[0], markup)):
                continue
            if chat_id is None:
                continue
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                await context.bot.send_message(
                    chat_id, chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                    reply_markup=markup if last else None)
            if reply.place is not None:
                await context.bot.send_venue(chat_id, reply.place.latitude,
                                             reply.place.longitude, reply.place.name,
                                             reply.place.address or reply.place.name)
        if query is not None and not answered:
            await query.answer()

    async def _edit(self, origin: Message, html: str, markup: InlineKeyboardMarkup | None
                    ) -> bool:
        try:
            await origin.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                   link_preview_options=NO_PREVIEW)
            return True
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("could not edit message %s (%s); sending a new one", origin.id, exc)
            return False

    async def _remove_buttons(self, origin: Message) -> None:
        try:
            await origin.edit_reply_markup(reply_markup=None)
        except BadRequest as exc:
            log.info("could not remove buttons from %s: %s", origin.id, exc)

    def _user_lang(self, update: object) -> Lang:
        if not isinstance(update, Update) or update.effective_user is None:
            return DEFAULT_LANG
        user = update.effective_user
        try:
            stored = self.core.storage.get_prefs(CHANNEL, str(user.id)).lang if (
                self.core.storage) else None
        except StorageError:
            stored = None
        return Lang.parse(stored) or Lang.parse(user.language_code) or DEFAULT_LANG

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One place for failures: log with the update, apologise in the user's language."""
        log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        reply = self.core.engine.apology(self._user_lang(update))
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            await context.bot.send_message(update.effective_chat.id,
                                           telegram_chunks(reply.text)[0],
                                           parse_mode=ParseMode.HTML,
                                           reply_markup=_markup(reply))
        except TelegramError:
            log.exception("could not send the apology")

    async def register_commands(self, application: Application) -> None:
        """The command menu in every language (Telegram picks by the user's app language)."""
        engine = self.core.engine
        for lang in [None, *Lang]:
            commands = [BotCommand(name, desc[:256])
                        for name, desc in engine.command_menu(lang or Lang.EN)]
            kwargs: dict[str, Any] = {"language_code": lang.value} if lang else {}
            await application.bot.set_my_commands(commands, **kwargs)


def build_application(core: Core, settings: Settings) -> Application:
    if not settings.telegram_token:
        raise ValueError("build_application needs TELEGRAM_BOT_TOKEN")
    channel = TelegramChannel(core)
    builder: ApplicationBuilder = (
        Application.builder().token(settings.telegram_token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(channel.register_commands))
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url)
        builder = builder.base_file_url(settings.telegram_file_url or "")
    application = builder.build()
    application.add_handler(CallbackQueryHandler(channel.on_update))
    application.add_handler(MessageHandler(
        filters.TEXT | filters.COMMAND | filters.LOCATION | filters.CAPTION | filters.VOICE
        | filters.AUDIO | filters.VIDEO | filters.VIDEO_NOTE | filters.PHOTO
        | filters.Sticker.ALL | filters.Document.ALL, channel.on_update))
    application.add_error_handler(channel.on_error)
    application.bot_data["channel"] = channel
    return application


def run_telegram(core: Core, settings: Settings) -> None:
    """Long polling; webhooks behind a web server can use the same Application later."""
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build_application(core, settings)
    log.info("starting Telegram bot (long polling)")
    application.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])
