"""The Telegram emulator, driven by the real python-telegram-bot ``Bot`` and ``Application``."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import numpy as np
import pytest
import soundfile
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters
from telegram_emulator import TelegramEmulator, polling

pytest_plugins = ["emulator_fixtures"]

USER = 4242


def _opus_note(seconds: float = 1.0) -> bytes:
    """A short OGG/Opus voice note: a 440 Hz tone."""
    samples = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(48000 * seconds)) / 48000)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples.astype(np.float32), 48000, format="OGG", subtype="OPUS")
    return buffer.getvalue()


async def test_get_me_answers_the_bot_user(emulator: TelegramEmulator) -> None:
    async with emulator.bot() as bot:
        me = await bot.get_me()
    assert me.is_bot and me.id == 123456789 and me.username == "hey_number_test_bot"
    assert emulator.calls("getMe")


async def test_echo_application_receives_a_text_and_replies(emulator: TelegramEmulator) -> None:
    seen: list[tuple[str, str | None]] = []

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append((update.effective_user.first_name, update.effective_user.language_code))
        await update.message.reply_text(f"echo: {update.message.text}")

    emulator.add_user(USER, "Ada", language_code="de")
    application = emulator.application_builder().build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(application):
        emulator.user_sends_text(USER, "+49 30 1234567")
        [call] = await emulator.wait_for_async("sendMessage", chat_id=USER, timeout=5)
    assert call.params["text"] == "echo: +49 30 1234567"
    assert call.result["from"]["is_bot"] and call.result["message_id"] == 2
    assert seen == [("Ada", "de")]
    assert emulator.messages(USER)[-1]["text"] == "echo: +49 30 1234567"
    assert emulator.pending_updates() == 0  # the updater's last poll confirmed the update
    assert emulator.calls("deleteWebhook") and not emulator.unknown_calls


async def test_photo_round_trip_downloads_the_largest_size_exactly(
    emulator: TelegramEmulator, make_jpeg: Callable[..., bytes]
) -> None:
    photo = make_jpeg(800, 600, seed=3)
    emulator.user_sends_photo(USER, photo, caption="call me")
    async with emulator.bot() as bot:
        [update] = await bot.get_updates(timeout=1)
        sizes = update.message.photo
        assert [size.width for size in sizes] == [90, 320, 800]
        assert len({size.file_id for size in sizes}) == 3 and update.message.caption == "call me"
        file = await bot.get_file(sizes[-1].file_id)
        data = await file.download_as_bytearray()
    assert bytes(data) == photo
    assert "%3A" in file._get_encoded_url()  # PTB percent-encodes the token's colon
    [download] = emulator.calls("download")
    assert file.file_path.endswith(f"{emulator.token}/{download.params['file_path']}")


def test_file_route_accepts_the_token_raw_and_percent_encoded(emulator: TelegramEmulator) -> None:
    message = emulator.user_sends_document(USER, b"%PDF-1.4 tiny", "number.pdf", "application/pdf")
    file_id = message["document"]["file_id"]
    with urllib.request.urlopen(f"{emulator.base_url}{emulator.token}/getFile?file_id={file_id}") as answer:
        path = json.loads(answer.read())["result"]["file_path"]
    for token in (emulator.token, emulator.token.replace(":", "%3A")):
        with urllib.request.urlopen(f"{emulator.base_file_url}{token}/{path}") as answer:
            assert answer.read() == b"%PDF-1.4 tiny"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{emulator.base_file_url}0:wrong/{path}")
    assert refused.value.code == 401


async def test_album_arrives_as_updates_sharing_a_media_group(
    emulator: TelegramEmulator, make_jpeg: Callable[..., bytes]
) -> None:
    sent = emulator.user_sends_album(USER, [make_jpeg(seed=n) for n in range(3)], caption="three")
    async with emulator.bot() as bot:
        updates = await bot.get_updates(timeout=1)
    groups = {update.message.media_group_id for update in updates}
    assert len(updates) == 3 and len(groups) == 1 and None not in groups
    assert [update.message.message_id for update in updates] == [m["message_id"] for m in sent]
    assert [update.message.caption for update in updates] == ["three", None, None]


async def test_button_press_arrives_as_a_callback_query_and_is_answered(emulator: TelegramEmulator) -> None:
    async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Voice off", callback_data="voice:off")]])
        await update.message.reply_text("Voice notes are on.", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Done")
        await update.callback_query.edit_message_text(f"Chose {update.callback_query.data}")

    application = emulator.application_builder().build()
    application.add_handler(CommandHandler("settings", offer))
    application.add_handler(CallbackQueryHandler(pressed))
    async with polling(application):
        emulator.user_sends_command(USER, "/settings")
        [offered] = await emulator.wait_for_async("sendMessage", chat_id=USER, timeout=5)
        with pytest.raises(AssertionError, match="no button"):
            emulator.user_presses_button(USER, offered.result["message_id"], "voice:on")
        query_id = emulator.user_presses_button(USER, offered.result["message_id"], "voice:off")
        [answer] = await emulator.wait_for_async("answerCallbackQuery", chat_id=USER, timeout=5)
        [edit] = await emulator.wait_for_async("editMessageText", chat_id=USER, timeout=5)
    assert answer.params == {"callback_query_id": query_id, "text": "Done"}
    assert edit.params["message_id"] == offered.result["message_id"]
    stored = emulator.message(USER, offered.result["message_id"])
    assert stored["text"] == "Chose voice:off" and "reply_markup" not in stored and "edit_date" in stored


async def test_uploaded_voice_note_is_stored_intact(emulator: TelegramEmulator) -> None:
    note = _opus_note(1.0)
    emulator.add_user(USER)
    async with emulator.bot() as bot:
        await bot.send_chat_action(USER, ChatAction.RECORD_VOICE)
        message = await bot.send_voice(USER, note, caption="+1 555 0100")
    [call] = emulator.calls("sendVoice", chat_id=USER)
    assert call.files["voice"] == note
    samples, rate = soundfile.read(io.BytesIO(call.files["voice"]))
    assert rate == 48000 and abs(len(samples) / rate - 1.0) < 0.05
    assert message.voice.duration == 1 and message.voice.mime_type == "audio/ogg"
    assert emulator.file_bytes(message.voice.file_id) == note
    assert emulator.calls("sendChatAction")[0].params["action"] == "record_voice"


async def test_flood_control_and_gateway_errors_reach_ptb(emulator: TelegramEmulator) -> None:
    emulator.add_user(USER)
    emulator.fail_next("sendMessage", 429, retry_after=3)
    emulator.fail_next("sendMessage", 502)
    emulator.fail_next("sendMessage", disconnect=True)
    async with emulator.bot() as bot:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(USER, "one")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "two")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "three")
        await bot.send_message(USER, "four")
    assert flood.value.retry_after in (3, dt.timedelta(seconds=3))  # int in PTB 22, timedelta later
    assert [call.params["text"] for call in emulator.calls("sendMessage")] == ["four"]
    failed = emulator.calls("sendMessage", include_failed=True)
    assert [call.error_code for call in failed] == [429, 502, 0, None]  # 0: dropped, None: ok


async def test_unknown_method_and_wrong_token_are_refused(emulator: TelegramEmulator) -> None:
    async with emulator.bot() as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    [unknown] = emulator.unknown_calls
    assert unknown.method == "sendTelepathy" and unknown.chat_id == USER
    assert unknown.description == "Not Found: method sendTelepathy"
    with pytest.raises(InvalidToken):
        await Bot("1:wrong", base_url=emulator.base_url).get_me()


async def test_telegram_checks_the_bot_commonly_trips_over(emulator: TelegramEmulator) -> None:
    emulator.add_user(USER)
    emulator.add_user(7)
    emulator.user_blocks_bot(7)
    async with emulator.bot() as bot:
        with pytest.raises(BadRequest, match="reserved"):
            await bot.send_message(USER, "+1 555-0100", parse_mode=ParseMode.MARKDOWN_V2)
        escaped = await bot.send_message(USER, r"*\+1 555\-0100*", parse_mode=ParseMode.MARKDOWN_V2)
        assert escaped.text == "+1 555-0100"
        with pytest.raises(BadRequest, match="end tag"):
            await bot.send_message(USER, "<b>bold", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("+1 555-0100", chat_id=USER, message_id=escaped.message_id)
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER, "9" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999, "hello")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(7, "hello")


async def test_long_poll_waits_for_timeout_and_wakes_for_a_new_update(emulator: TelegramEmulator) -> None:
    async with emulator.bot() as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert 0.9 <= time.monotonic() - started < 3
        threading.Timer(0.2, emulator.user_sends_text, (USER, "late")).start()
        started = time.monotonic()
        [update] = await bot.get_updates(timeout=5)
        assert update.message.text == "late" and time.monotonic() - started < 2
        emulator.user_sends_text(USER, "second")
        [again, second] = await bot.get_updates(timeout=1)  # not confirmed: delivered again
        assert again.update_id == update.update_id
        assert [u.message.text for u in await bot.get_updates(offset=second.update_id)] == ["second"]
        await bot.delete_webhook(drop_pending_updates=True)
        assert emulator.pending_updates() == 0


async def test_wait_for_times_out_with_a_list_of_what_arrived(emulator: TelegramEmulator) -> None:
    emulator.add_user(USER)
    async with emulator.bot() as bot:
        await bot.send_message(USER, "only this")
    mark = emulator.mark()
    with pytest.raises(AssertionError, match=r"(?s)sendPhoto.*sendMessage chat=4242 text='only this'"):
        await emulator.wait_for_async("sendPhoto", chat_id=USER, timeout=0.2)
    with pytest.raises(AssertionError):
        emulator.wait_for("sendMessage", since=mark, timeout=0.2)
    assert len(emulator.wait_for(lambda call: call.params.get("text") == "only this", timeout=0.2)) == 1


async def test_user_messages_look_like_telegram(emulator: TelegramEmulator) -> None:
    first = emulator.user_sends_command(USER, "/voice off")
    reply = emulator.user_replies(USER, "that one", reply_to_message_id=first["message_id"])
    emulator.user_sends_sticker(USER)
    emulator.user_sends_video(USER)
    async with emulator.bot() as bot:
        updates = await bot.get_updates(timeout=1)
        await bot.set_my_commands([("voice", "Voice notes on or off")])
    command, replied, sticker, video = (update.message for update in updates)
    assert command.text == "/voice off" and command.entities[0].type == "bot_command"
    assert command.entities[0].length == len("/voice") and command.chat.id == USER
    assert replied.reply_to_message.message_id == first["message_id"] == reply["message_id"] - 1
    assert sticker.sticker is not None and video.video is not None
    assert emulator.bot_commands[""] == [{"command": "voice", "description": "Voice notes on or off"}]


def test_close_joins_threads_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    emulator = TelegramEmulator()
    port = emulator.port

    async def close_while_the_bot_is_connected() -> float:
        async with emulator.bot() as bot:
            await bot.get_me()
            poll = asyncio.create_task(bot.get_updates(timeout=5))
            await asyncio.sleep(0.2)  # a server thread now waits in a long poll
            started = time.monotonic()
            emulator.close()
            elapsed = time.monotonic() - started
            await asyncio.gather(poll, return_exceptions=True)
        return elapsed

    assert asyncio.run(close_while_the_bot_is_connected()) < 2
    assert set(threading.enumerate()) <= before
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
