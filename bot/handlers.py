"""The Telegram conversation: one small async handler per thing a user can send or press.

A photo's path through here: rate limit → download (largest size) → saved in the store *before*
recognition (nothing a user gave is lost on a crash) → read off the event loop → checked and
worded (:mod:`bot.texts`) → text reply with buttons → voice note → marked answered. Updates are
handled concurrently, but each chat's updates one at a time and in order (a per-chat lock). No
image code here: pictures are the recognizer's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.ext import Application, ContextTypes

from bot import texts
from bot.limits import RateLimiter
from bot.numbers import region_name, region_of_language, validate_region
from bot.recognition import RecognitionService
from bot.settings import Settings
from bot.speech import Speaker, SpeechError
from bot.store import DigitCrop, Store, StoreError, UserSettings
from recognizer import ImageError, Reading
from recognizer.registry import ModelRegistry

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
FIXING = "fixing"  # user_data key: the reading id whose correction we wait for
COMMANDS = [
    BotCommand("start", "what I do and how to take a good photo"),
    BotCommand("help", "all commands"),
    BotCommand("voice", "voice replies on or off"),
    BotCommand("region", "your country, for checking numbers"),
    BotCommand("language", "the language of voice notes"),
    BotCommand("forget", "delete your photos and settings"),
    BotCommand("cancel", "stop correcting a number"),
]
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Services:
    """What the handlers share; kept in ``application.bot_data["services"]``."""

    settings: Settings
    recognition: RecognitionService
    speaker: Speaker
    store: Store
    limiter: RateLimiter
    chat_locks: defaultdict[int, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    voice_locks: defaultdict[int, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    albums: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    album_last_seen: dict[str, float] = field(default_factory=dict)
    registry: ModelRegistry | None = None  # model versions for /model, /retrain, /rollback (bot.admin)


def services(context: Context) -> Services:
    return context.application.bot_data["services"]


def in_chat_order(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Run a handler with its chat's lock held: one update per chat at a time, in arrival order."""

    @wraps(handler)
    async def ordered(update: Update, context: Context, *args: Any) -> None:
        chat = update.effective_chat
        if chat is None:
            await handler(update, context, *args)
            return
        async with services(context).chat_locks[chat.id]:
            await handler(update, context, *args)

    return ordered


async def retrying(send: Callable[[], Awaitable[T]]) -> T:
    """Retry a send on network trouble (Bad Gateway, a dropped connection); not on bad requests
    or time-outs, which may have been delivered. Flood limits are the rate limiter's business."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send()
        except (BadRequest, Forbidden, TimedOut):
            raise
        except NetworkError:
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("network error while sending (attempt %d), retrying", attempt)
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def say(context: Context, chat_id: int, text: str, **kwargs: Any) -> Any:
    return await retrying(lambda: context.bot.send_message(chat_id, text, **kwargs))


def _user_language(update: Update) -> str:
    user = update.effective_user
    return (user.language_code if user else None) or "en"


def _region(hey: Services, prefs: UserSettings, language: str | None) -> str:
    """Where numbers are checked: the user's /region, else the country of their Telegram language
    ("en-GB": the United Kingdom), else DEFAULT_REGION."""
    return prefs.region or region_of_language(language) or hey.settings.default_region


# --- commands ------------------------------------------------------------------------------------


@in_chat_order
async def start(update: Update, context: Context) -> None:
    prefs = await asyncio.to_thread(services(context).store.get_settings, update.effective_user.id)
    voice = "on" if prefs.voice else "off"
    await say(context, update.effective_chat.id, texts.START.format(voice=voice))


@in_chat_order
async def help_command(update: Update, context: Context) -> None:
    hey = services(context)
    prefs = await asyncio.to_thread(hey.store.get_settings, update.effective_user.id)
    language = prefs.language or _user_language(update)
    region = _region(hey, prefs, _user_language(update))
    await say(context, update.effective_chat.id, texts.HELP.format(region=region, language=language))


@in_chat_order
async def voice_command(update: Update, context: Context) -> None:
    store = services(context).store
    user_id = update.effective_user.id
    choice = (context.args or [""])[0].lower()
    if choice not in ("on", "off"):
        prefs = await asyncio.to_thread(store.get_settings, user_id)
        state = "on" if prefs.voice else "off"
        await say(context, update.effective_chat.id, texts.VOICE_USAGE.format(state=state))
        return
    await asyncio.to_thread(store.update_settings, user_id, voice=choice == "on")
    await say(context, update.effective_chat.id, texts.VOICE_STATE.format(state=choice))


@in_chat_order
async def region_command(update: Update, context: Context) -> None:
    hey = services(context)
    user_id = update.effective_user.id
    code = validate_region(" ".join(context.args or []))
    if code is None:
        prefs = await asyncio.to_thread(hey.store.get_settings, user_id)
        current = _region(hey, prefs, _user_language(update))
        await say(context, update.effective_chat.id, texts.REGION_USAGE.format(code=current))
        return
    await asyncio.to_thread(hey.store.update_settings, user_id, region=code)
    await say(context, update.effective_chat.id, texts.REGION_SET.format(name=region_name(code), code=code))


@in_chat_order
async def language_command(update: Update, context: Context) -> None:
    hey = services(context)
    user_id = update.effective_user.id
    prefs = await asyncio.to_thread(hey.store.get_settings, user_id)
    current = prefs.language or _user_language(update)
    wanted = " ".join(context.args or []).strip().lower()
    if not wanted:
        await say(context, update.effective_chat.id, texts.LANGUAGE_USAGE.format(current=current))
        return
    if hey.speaker.voice_for(wanted) is None:
        reply = texts.LANGUAGE_UNKNOWN.format(language=wanted, current=current)
        await say(context, update.effective_chat.id, reply)
        return
    await asyncio.to_thread(hey.store.update_settings, user_id, language=wanted)
    await say(context, update.effective_chat.id, texts.LANGUAGE_SET.format(language=wanted))


@in_chat_order
async def forget_command(update: Update, context: Context) -> None:
    count = await asyncio.to_thread(services(context).store.forget_user, update.effective_user.id)
    context.user_data.pop(FIXING, None)
    await say(context, update.effective_chat.id, texts.FORGOTTEN.format(count=count))


@in_chat_order
async def cancel_command(update: Update, context: Context) -> None:
    context.user_data.pop(FIXING, None)
    await say(context, update.effective_chat.id, texts.FIX_CANCELLED)


# --- photos --------------------------------------------------------------------------------------


async def on_photo(update: Update, context: Context) -> None:
    """A photo: the largest size Telegram offers; photos of an album are gathered first."""
    message = update.effective_message
    largest = message.photo[-1]
    if message.media_group_id:
        await _collect_album(update, context, largest.file_id)
        return
    await _photo_in_order(update, context, largest.file_id, largest.file_size, "photo")


async def on_image_file(update: Update, context: Context) -> None:
    """An image sent as a file: full resolution."""
    document = update.effective_message.document
    await _photo_in_order(update, context, document.file_id, document.file_size, "file")


@in_chat_order
async def _photo_in_order(
    update: Update, context: Context, file_id: str, size: int | None, source: str
) -> None:
    hey = services(context)
    chat_id, user = update.effective_chat.id, update.effective_user
    if not hey.limiter.allow(user.id):
        await say(context, chat_id, texts.SLOW_DOWN.format(seconds=hey.limiter.seconds_until_free(user.id)))
        return
    if size and size > hey.settings.max_photo_bytes:
        await say(context, chat_id, texts.TOO_BIG.format(megabytes=size / 2**20))
        return
    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    photo = await _download(context, file_id)
    if not photo:
        await say(context, chat_id, texts.EMPTY_FILE)
        return
    reading_id = await asyncio.to_thread(hey.store.save_photo, user.id, chat_id, photo, source)
    await answer_photo(context, chat_id, user.id, _user_language(update), reading_id, photo)


async def _download(context: Context, file_id: str) -> bytes:
    telegram_file = await retrying(lambda: context.bot.get_file(file_id))
    return bytes(await retrying(telegram_file.download_as_bytearray))


async def answer_photo(
    context: Context, chat_id: int, user_id: int, language: str, reading_id: int, photo: bytes
) -> None:
    """Read a stored photo and send the answer: text with buttons, then the voice note."""
    hey = services(context)
    prefs = await asyncio.to_thread(hey.store.get_settings, user_id)
    try:
        reading = await hey.recognition.read(photo)
    except ImageError as error:
        await say(context, chat_id, str(error))
        await asyncio.to_thread(hey.store.mark_answered, reading_id)
        return
    answer = texts.answer_for(reading, _region(hey, prefs, language))
    await asyncio.to_thread(hey.store.record_reading, reading_id, reading.text, _crops(reading))
    markup = _buttons(reading_id) if reading.digits else None
    await say(context, chat_id, answer.text, reply_markup=markup)
    await asyncio.to_thread(hey.store.mark_answered, reading_id)
    if prefs.voice and answer.checks:
        _voice_later(context, chat_id, answer, prefs.language or language)


def _voice_later(context: Context, chat_id: int, answer: texts.Answer, language: str) -> None:
    """Send the voice note without holding up the chat: the next photo is read while this one
    is spoken. Voice notes of one chat still go out in order (their own lock)."""

    async def speak_in_order() -> None:
        async with services(context).voice_locks[chat_id]:
            await _send_voice(context, chat_id, answer, language)

    context.application.create_task(speak_in_order())


def _crops(reading: Reading) -> list[DigitCrop]:
    return [
        DigitCrop(position=i, digit=str(d.digit), confidence=d.confidence, image=d.pixels)
        for i, d in enumerate(reading.digits)
    ]


def _buttons(reading_id: int, show: bool = True) -> InlineKeyboardMarkup:
    """Show what I read (one photo's boxes; not for albums), ✅ Right and ✏️ Fix it."""
    verdict = [
        InlineKeyboardButton("✅ Right", callback_data=f"ok:{reading_id}"),
        InlineKeyboardButton("✏️ Fix it", callback_data=f"fix:{reading_id}"),
    ]
    show_row = [[InlineKeyboardButton("Show what I read", callback_data=f"show:{reading_id}")]]
    return InlineKeyboardMarkup([*(show_row if show else []), verdict])


async def _send_voice(context: Context, chat_id: int, answer: texts.Answer, language: str) -> None:
    """Speak the answer; in languages other than English each number is spoken in that language's
    voice and its sentences (English, like the text) in the English one. A speech failure costs the
    voice note only."""
    speaker = services(context).speaker
    english = language.lower().startswith("en") or speaker.voice_for(language) is None
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.RECORD_VOICE)
        if english:
            note = await speaker.speak(answer.speech, "en")
        else:
            parts = [
                (part, lang)
                for number, sentences in answer.spoken
                for part, lang in ((number, language), (sentences, "en"))
            ]
            note = await speaker.speak_parts(parts)
    except SpeechError:
        log.warning("speech failed for chat %s", chat_id, exc_info=True)
        return
    await retrying(lambda: context.bot.send_voice(chat_id, note.ogg, duration=round(note.seconds)))


# --- albums: one digit per photo ----------------------------------------------------------------


async def _collect_album(update: Update, context: Context, file_id: str) -> None:
    """Gather an album's photos; it is read once no new photo of it came for a moment."""
    hey = services(context)
    group = update.effective_message.media_group_id
    first = group not in hey.albums
    hey.albums.setdefault(group, []).append((update.effective_message.message_id, file_id))
    hey.album_last_seen[group] = time.monotonic()
    if first:
        context.application.create_task(_read_album_when_complete(update, context, group))


async def _read_album_when_complete(update: Update, context: Context, group: str) -> None:
    hey = services(context)
    wait = hey.settings.album_wait_seconds
    while (quiet := time.monotonic() - hey.album_last_seen[group]) < wait:
        await asyncio.sleep(wait - quiet)
    photos = sorted(hey.albums.pop(group))
    hey.album_last_seen.pop(group, None)
    await _album_in_order(update, context, [file_id for _, file_id in photos])


@in_chat_order
async def _album_in_order(update: Update, context: Context, file_ids: list[str]) -> None:
    hey = services(context)
    chat_id, user = update.effective_chat.id, update.effective_user
    if not hey.limiter.allow(user.id):
        await say(context, chat_id, texts.SLOW_DOWN.format(seconds=hey.limiter.seconds_until_free(user.id)))
        return
    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    photos = [await _download(context, file_id) for file_id in file_ids]
    ids = [await asyncio.to_thread(hey.store.save_photo, user.id, chat_id, p, "album") for p in photos]
    digits = []
    for photo in photos:
        try:
            digits.append((await hey.recognition.read(photo)).largest_digit())
        except ImageError:
            digits.append(None)
    prefs = await asyncio.to_thread(hey.store.get_settings, user.id)
    answer = texts.answer_for_digits(digits, _region(hey, prefs, _user_language(update)))
    markup = None
    if digits and all(digits):  # the album's number is kept as one reading (of its first photo)
        crops = [DigitCrop(i, str(d.digit), d.confidence, d.pixels) for i, d in enumerate(digits)]
        text = "".join(str(d.digit) for d in digits)
        await asyncio.to_thread(hey.store.record_reading, ids[0], text, crops)
        markup = _buttons(ids[0], show=False)
    await say(context, chat_id, answer.text, reply_markup=markup)
    for reading_id in ids:
        await asyncio.to_thread(hey.store.mark_answered, reading_id)
    if prefs.voice and answer.checks:
        _voice_later(context, chat_id, answer, prefs.language or _user_language(update))


# --- buttons and corrections -----------------------------------------------------------------------


@in_chat_order
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    action, _, raw_id = (query.data or "").partition(":")
    hey = services(context)
    reading = await asyncio.to_thread(hey.store.get_reading, int(raw_id)) if raw_id.isdigit() else None
    if reading is None or reading.user_id != query.from_user.id:
        await query.answer(texts.READING_GONE, show_alert=True)
        return
    if action == "show":
        await query.answer()
        await _show_reading(context, update.effective_chat.id, reading.photo_path)
    elif action == "ok":
        await asyncio.to_thread(hey.store.confirm_reading, reading.id, query.from_user.id)
        await query.answer(texts.CONFIRMED)
        with contextlib.suppress(BadRequest):  # already edited: nothing to remove
            await query.edit_message_reply_markup(_buttons_without_verdict(reading.id))
    elif action == "fix":
        await query.answer()
        context.user_data[FIXING] = reading.id
        await say(context, update.effective_chat.id, texts.ASK_FOR_FIX, reply_markup=ForceReply())
    else:
        await query.answer()


def _buttons_without_verdict(reading_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Show what I read", callback_data=f"show:{reading_id}")]]
    )


async def _show_reading(context: Context, chat_id: int, photo_path) -> None:
    """Send the photo with each box and digit drawn (read again from the stored photo)."""
    reading = await services(context).recognition.read(photo_path)
    caption = " / ".join(reading.lines) or "no digits"
    picture = await asyncio.to_thread(reading.annotated, 1280)
    await retrying(lambda: context.bot.send_photo(chat_id, picture, caption=f"What I read: {caption}"))


@in_chat_order
async def on_text(update: Update, context: Context) -> None:
    """Typed text: the correct digits when a fix was asked for, otherwise a pointer to photos."""
    chat_id = update.effective_chat.id
    reading_id = context.user_data.get(FIXING)
    if reading_id is None:
        await say(context, chat_id, texts.SEND_A_PHOTO)
        return
    digits = texts.digits_of(update.effective_message.text or "")
    if not digits:
        await say(context, chat_id, texts.FIX_NEEDS_DIGITS)
        return
    store = services(context).store
    correction = await asyncio.to_thread(store.save_correction, reading_id, update.effective_user.id, digits)
    context.user_data.pop(FIXING, None)
    if correction.labelled:
        await say(context, chat_id, texts.FIX_SAVED.format(labelled=correction.labelled))
    else:
        reading = await asyncio.to_thread(store.get_reading, reading_id)
        found = len(reading.crops) if reading else 0
        await say(context, chat_id, texts.FIX_SAVED_UNLABELLED.format(wanted=len(digits), found=found))


@in_chat_order
async def on_not_a_photo(update: Update, context: Context) -> None:
    """Stickers, videos, voice messages, PDFs and other files: say what to send instead."""
    document = update.effective_message.document if update.effective_message else None
    reply = texts.NOT_AN_IMAGE if document else texts.SEND_A_PHOTO
    await say(context, update.effective_chat.id, reply)


# --- life cycle and errors --------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """Log the failure with its traceback and tell the user; the bot goes on serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        with contextlib.suppress(Exception):
            await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)


async def answer_missed_photos(application: Application) -> None:
    """Answer photos saved before a crash or restart but never answered."""
    hey: Services = application.bot_data["services"]
    try:
        missed = await asyncio.to_thread(hey.store.unanswered_readings)
    except StoreError:
        log.exception("could not look for unanswered photos")
        return
    context = ContextTypes.DEFAULT_TYPE(application)
    for reading in missed:
        try:
            async with hey.chat_locks[reading.chat_id]:
                await say(context, reading.chat_id, texts.RECOVERED)
                photo = await asyncio.to_thread(reading.photo_path.read_bytes)
                await answer_photo(context, reading.chat_id, reading.user_id, "en", reading.id, photo)
        except Exception:
            log.exception("could not answer the earlier photo %s", reading.id)


async def set_commands(application: Application) -> None:
    await application.bot.set_my_commands(COMMANDS)
