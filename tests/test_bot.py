"""The bot end to end: the real Application, recognizer, espeak-ng and SQLite, talking HTTP to the
Telegram emulator on 127.0.0.1, with simulated users sending rendered photos."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile
from PIL import Image
from telegram_emulator import TelegramEmulator, polling

from bot import texts
from bot.app import build_application, webhook_options
from bot.handlers import Services
from bot.limits import RateLimiter
from bot.recognition import RecognitionService
from bot.settings import Settings, SettingsError
from bot.speech import Speaker, spoken_number
from bot.store import Store
from recognizer.fuzz import png_header
from recognizer.synthetic import DigitBank, PhotoOptions, render_photo

pytest_plugins = ["emulator_fixtures"]

USER = 5150
OTHER_USER = 6160
FICTION = "555-01xx numbers are reserved for films and books"


@pytest.fixture(scope="module")
def bank(mnist_test) -> DigitBank:
    images, labels = mnist_test
    return DigitBank(images, labels)


@pytest.fixture(scope="module")
def recognition() -> RecognitionService:
    service = RecognitionService.load()
    yield service
    service.close()


@pytest.fixture(scope="module")
def speaker() -> Speaker:
    with Speaker() as running:
        yield running


def photo_of(bank: DigitBank, lines: list[str], seed: int = 3, **options) -> bytes:
    return render_photo(bank, lines, np.random.default_rng(seed), PhotoOptions(**options)).jpeg


def digit_photo(bank: DigitBank, digit: str, seed: int) -> bytes:
    options = PhotoOptions(size=(480, 480), digit_height=150)
    return render_photo(bank, [digit], np.random.default_rng(seed), options).jpeg


@asynccontextmanager
async def running_bot(
    emulator: TelegramEmulator, recognition, speaker, data_dir: Path, **overrides
) -> AsyncIterator[Services]:
    settings = Settings(
        token=emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        data_dir=data_dir,
        album_wait_seconds=0.5,
        **overrides,
    )
    store = Store(data_dir)
    hey = Services(settings, recognition, speaker, store, RateLimiter(settings.photos_per_minute))
    application = build_application(settings, hey)
    application.post_shutdown = None  # the recognizer and speaker are shared by the module's tests
    try:
        async with polling(application):
            await application.post_init(application)
            yield hey
    finally:
        store.close()


def texts_to(emulator: TelegramEmulator, chat_id: int = USER) -> list[str]:
    return [call.params["text"] for call in emulator.calls("sendMessage", chat_id=chat_id)]


async def reply(emulator: TelegramEmulator, count: int = 1, chat_id: int = USER, since: int = 0, timeout=20):
    calls = await emulator.wait_for_async(
        "sendMessage", chat_id=chat_id, count=count, since=since, timeout=timeout
    )
    return calls[-1].params["text"]


async def test_start_help_and_commands_menu(emulator, recognition, speaker, tmp_path) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path):
        emulator.user_sends_command(USER, "/start")
        assert "photo of a handwritten phone number" in await reply(emulator)
        emulator.user_sends_command(USER, "/help")
        text = await reply(emulator, count=2)
        assert "/voice on|off" in text and "(now CA)" in text
    commands = {c["command"] for c in emulator.calls("setMyCommands")[0].params["commands"]}
    assert {"start", "help", "voice", "region", "language"} <= commands


async def test_photo_gets_number_verdict_buttons_and_voice_note(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path):
        emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
        [voice] = await emulator.wait_for_async("sendVoice", chat_id=USER, timeout=30)
        [message] = emulator.calls("sendMessage", chat_id=USER)
    assert "(416) 555-0199" in message.params["text"] and FICTION in message.params["text"]
    buttons = [b["callback_data"] for row in message.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b.split(":")[0] for b in buttons] == ["show", "ok", "fix"]
    audio = voice.files["voice"]
    info = soundfile.info(io.BytesIO(audio))
    assert (info.format, info.subtype, info.samplerate) == ("OGG", "OPUS", 48000)
    assert 4 < info.duration < 30
    samples, _ = soundfile.read(io.BytesIO(audio))
    assert np.sqrt(np.mean(samples**2)) > 0.01  # speech, not silence
    with Store(tmp_path) as store:
        assert store.stats()["answered"] == 1 and not store.unanswered_readings()


async def test_in_french_the_number_is_spoken_in_french_and_its_verdict_in_english(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    emulator.add_user(USER, language_code="fr")
    async with running_bot(emulator, recognition, speaker, tmp_path):
        emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
        [voice] = await emulator.wait_for_async("sendVoice", chat_id=USER, timeout=30)
        [message] = emulator.calls("sendMessage", chat_id=USER)
    assert FICTION in message.params["text"]
    number_alone = await speaker.speak(spoken_number(["416", "555", "0199"]), "fr")
    verdict_alone = await speaker.speak(FICTION, "en")
    duration = soundfile.info(io.BytesIO(voice.files["voice"])).duration
    assert duration > number_alone.seconds + verdict_alone.seconds  # both, and the pause between


async def test_a_number_wrapped_on_a_narrow_note_is_answered_as_one(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.user_sends_photo(USER, photo_of(bank, ["(416)", "979-5000"], seed=1))
        text = await reply(emulator, timeout=30)
    assert text.startswith("📞 (416) 979-5000\nThis looks like a real") and texts.JOINED_LINES in text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _forged_update_status(url: str) -> int:
    """POST an update to the bot's webhook without the secret token; the HTTP status it gets."""
    body = b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}'
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_webhook_mode_answers_photos_and_refuses_updates_without_the_secret(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    port = _free_port()
    settings = Settings(
        token=emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        data_dir=tmp_path,
        webhook_url=f"http://127.0.0.1:{port}/",
        webhook_port=port,
        webhook_secret="hey-number-webhook-secret",
    )
    store = Store(tmp_path)
    hey = Services(settings, recognition, speaker, store, RateLimiter(settings.photos_per_minute))
    application = build_application(settings, hey)
    application.post_shutdown = None
    try:
        async with application:
            await application.updater.start_webhook(**webhook_options(settings))
            await application.start()
            try:
                [registered] = emulator.calls("setWebhook")
                assert registered.params["url"] == f"http://127.0.0.1:{port}/telegram"
                assert registered.params["secret_token"] == "hey-number-webhook-secret"
                emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
                assert "(416) 555-0199" in await reply(emulator, timeout=30)
                await emulator.wait_for_async("sendVoice", chat_id=USER, timeout=30)
                status = await asyncio.to_thread(_forged_update_status, registered.params["url"])
                assert status == 403
            finally:
                await application.updater.stop()
                await application.stop()
    finally:
        store.close()
    assert not emulator.calls("getUpdates")


async def test_voice_off_region_and_language(emulator, recognition, speaker, tmp_path, bank) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        emulator.user_sends_command(USER, "/voice off")
        assert "off" in await reply(emulator)
        emulator.user_sends_command(USER, "/region GB")
        assert "United Kingdom" in await reply(emulator, count=2)
        emulator.user_sends_command(USER, "/region Narnia")
        assert "two-letter country code" in await reply(emulator, count=3)
        emulator.user_sends_command(USER, "/language xx")
        assert "no voice" in await reply(emulator, count=4)
        emulator.user_sends_command(USER, "/language fr")
        assert "fr" in await reply(emulator, count=5)
        emulator.user_sends_photo(USER, photo_of(bank, ["020 7946 0018"], seed=4))
        text = await reply(emulator, count=6, timeout=30)
        await asyncio.sleep(0.5)
        assert not emulator.calls("sendVoice")
    assert "020 7946 0018" in text and "drama" in text
    prefs = Store(tmp_path).get_settings(USER)
    assert (prefs.voice, prefs.region, prefs.language) == (False, "GB", "fr")
    assert hey.settings.default_region == "CA"


async def test_numbers_are_checked_in_the_country_of_the_users_language(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    """No /region yet: a user whose Telegram speaks British English gets UK verdicts, not CA's."""
    emulator.add_user(USER, language_code="en-GB")
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.user_sends_command(USER, "/help")
        assert "(now GB)" in await reply(emulator)
        emulator.user_sends_photo(USER, photo_of(bank, ["020 7946 0018"], seed=4))
        text = await reply(emulator, count=2, timeout=30)
    assert "020 7946 0018" in text and "drama" in text
    assert Store(tmp_path).get_settings(USER).region is None


async def test_a_label_written_before_the_number_is_left_out(emulator, recognition, speaker, tmp_path, bank):
    """A "Tel:" before the number: the reader leaves it out (its small letters give it away; it
    used to read as "781", which the bot left out, saying so: ``tests/test_texts.py``), and the
    bot answers with the real number alone."""
    photo = render_photo(bank, ["416 979 5000"], np.random.default_rng(1), PhotoOptions(digit_height=70))
    image = np.ascontiguousarray(photo.image)
    ys, xs = np.nonzero(image.min(axis=2) < 120)  # the writing
    origin = (int(xs.min()) - 280, int(np.median(ys)) + 30)
    cv2.putText(image, "Tel:", origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.2, (40, 40, 120), 4, cv2.LINE_AA)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.user_sends_photo(USER, jpeg)
        text = await reply(emulator, timeout=30)
    assert (
        text == "📞 (416) 979-5000\nThis looks like a real mobile or landline number in Toronto, ON, Canada."
    )


async def test_buttons_show_confirm_and_fix_store_labelled_digits(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path, photos_per_minute=10) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
        await reply(emulator, timeout=30)
        message = emulator.calls("sendMessage", chat_id=USER)[0]
        mid = message.result["message_id"]
        reading_id = message.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1]

        emulator.user_presses_button(USER, mid, f"show:{reading_id}")
        [shown] = await emulator.wait_for_async("sendPhoto", chat_id=USER, timeout=20)
        assert shown.params["caption"] == "What I read: 4165550199"
        assert Image.open(io.BytesIO(shown.files["photo"])).size[0] <= 1280

        emulator.user_presses_button(USER, mid, f"fix:{reading_id}")
        assert "type the right number" in await reply(emulator, count=2)
        emulator.user_sends_text(USER, "four one six")
        assert "I need the digits" in await reply(emulator, count=3)
        emulator.user_sends_text(USER, "416-555-0188")
        assert "10 digit pictures" in await reply(emulator, count=4)
        emulator.user_sends_text(USER, "hello")
        assert await reply(emulator, count=5) == texts.SEND_A_PHOTO

        # a button of a reading that no longer exists (or is not this user's) is refused
        emulator.user_presses_button(USER, mid, "ok:99999", check_button=False)
        [*_, refused] = await emulator.wait_for_async("answerCallbackQuery", count=3, timeout=10)
        assert refused.params["text"] == texts.READING_GONE
    images, labels, _ = Store(tmp_path).labelled_digits("corrected")
    assert labels.tolist() == [4, 1, 6, 5, 5, 5, 0, 1, 8, 8]
    assert images.shape == (10, 28, 28) and images.max() > 200
    assert not Store(tmp_path).labelled_digits("confirmed")[1].size


async def test_album_of_single_digits_reads_as_one_number(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        photos = [digit_photo(bank, d, 20 + i) for i, d in enumerate("4165550123")]
        emulator.user_sends_album(USER, photos)
        text = await reply(emulator, timeout=40)
        [answer] = emulator.calls("sendMessage", chat_id=USER)
        rows = answer.params["reply_markup"]["inline_keyboard"]
        buttons = [b["callback_data"] for row in rows for b in row]
        assert [b.split(":")[0] for b in buttons] == ["ok", "fix"]  # no single photo to show
        # ✏️ Fix it: the album's ten digit pictures get the typed labels
        emulator.user_presses_button(USER, answer.result["message_id"], buttons[1])
        assert "type the right number" in await reply(emulator, count=2)
        emulator.user_sends_text(USER, "416 555 0128")
        assert "10 digit pictures" in await reply(emulator, count=3)
    assert "(416) 555-0123" in text
    with Store(tmp_path) as store:
        assert store.stats()["photos"] == 10 and not store.unanswered_readings()
        assert store.labelled_digits("corrected")[1].tolist() == [4, 1, 6, 5, 5, 5, 0, 1, 2, 8]


async def test_bad_inputs_get_a_clear_message_and_the_bot_keeps_serving(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(blank, format="JPEG")
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        pdf, huge = b"%PDF-1.4\n%...", png_header(40000, 40000)
        sends = [
            (
                lambda: emulator.user_sends_document(USER, pdf, "number.pdf", "application/pdf"),
                "isn't a photo",
            ),
            (lambda: emulator.user_sends_document(USER, b"", "empty.png", "image/png"), "empty"),
            (lambda: emulator.user_sends_document(USER, huge, "huge.png", "image/png"), "too large"),
            (lambda: emulator.user_sends_photo(USER, blank.getvalue()), "couldn't find a handwritten number"),
            (lambda: emulator.user_sends_sticker(USER), "send me a photo"),
            (lambda: emulator.user_sends_video(USER), "send me a photo"),
            (lambda: emulator.user_sends_text(USER, "hi"), "send me a photo"),
            (lambda: emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"])), "(416) 555-0199"),
        ]
        for count, (send, expected) in enumerate(sends, start=1):
            send()
            assert expected in (await reply(emulator, count=count, timeout=30)), expected
    assert not emulator.unknown_calls


async def test_an_iphone_heic_photo_sent_as_a_file_is_read(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    """An iPhone sends its own HEIC when the photo goes as a file (Telegram converts photos only)."""
    import pillow_heif

    heic = io.BytesIO()
    pillow_heif.from_pillow(Image.open(io.BytesIO(photo_of(bank, ["(416) 555-0199"])))).save(heic, quality=85)
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.user_sends_document(USER, heic.getvalue(), "IMG_0412.HEIC", "image/heic")
        assert "(416) 555-0199" in await reply(emulator, timeout=30)
    with Store(tmp_path) as store:
        [photo] = (tmp_path / "photos").rglob("*.heic")
        assert photo.read_bytes() == heic.getvalue() and not store.unanswered_readings()


async def test_rate_limit_is_friendly_and_per_user(emulator, recognition, speaker, tmp_path, bank) -> None:
    photo = photo_of(bank, ["(416) 555-0199"])
    async with running_bot(emulator, recognition, speaker, tmp_path, photos_per_minute=2) as hey:
        for user in (USER, OTHER_USER):
            hey.store.update_settings(user, voice=False)
        for _ in range(3):
            emulator.user_sends_photo(USER, photo)
        emulator.user_sends_photo(OTHER_USER, photo)
        await emulator.wait_for_async("sendMessage", chat_id=USER, count=3, timeout=40)
        await emulator.wait_for_async("sendMessage", chat_id=OTHER_USER, count=1, timeout=40)
    replies = texts_to(emulator)
    assert sum("(416) 555-0199" in r for r in replies) == 2
    assert "please wait" in replies[2]
    assert "(416) 555-0199" in texts_to(emulator, OTHER_USER)[0]


async def test_flood_limit_and_bad_gateway_are_retried_once_each(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        emulator.fail_next("sendMessage", error_code=429, retry_after=1)
        emulator.user_sends_command(USER, "/start")
        await reply(emulator, timeout=15)
        emulator.fail_next("sendMessage", error_code=502)
        emulator.user_sends_command(USER, "/help")
        await reply(emulator, count=2, timeout=15)
    sent = emulator.calls("sendMessage", chat_id=USER)
    assert len(sent) == 2  # each delivered exactly once
    failed = emulator.calls("sendMessage", chat_id=USER, include_failed=True)
    assert sorted(c.error_code for c in failed if not c.ok) == [429, 502]


async def test_a_crashing_update_is_reported_and_logged_without_the_token(
    emulator, recognition, speaker, tmp_path, bank, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        hey.store.update_settings(USER, voice=False)
        broken = RecognitionService(recognition.recognizer)
        broken.read = _explode  # the recognizer fails in a way nobody planned for
        hey.recognition = broken
        emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
        assert await reply(emulator, timeout=20) == texts.SOMETHING_WENT_WRONG
        hey.recognition = recognition
        emulator.user_sends_photo(USER, photo_of(bank, ["(416) 555-0199"]))
        assert "(416) 555-0199" in await reply(emulator, count=2, timeout=30)
    assert any("RuntimeError" in r.getMessage() and r.exc_info for r in caplog.records)
    secret = emulator.token.split(":")[1]
    ours = [r for r in caplog.records if r.name != "telegram_emulator"]  # the emulator is not the bot
    leaks = [r.getMessage()[:300] for r in ours if secret in r.getMessage()]
    assert ours and not leaks, leaks


async def _explode(photo) -> None:
    raise RuntimeError("boom")


async def test_photos_saved_before_a_crash_are_answered_on_restart(
    emulator, recognition, speaker, tmp_path, bank
) -> None:
    with Store(tmp_path) as store:
        store.update_settings(USER, voice=False)
        store.save_photo(USER, USER, photo_of(bank, ["(416) 555-0199"]), "photo")  # then the bot died
    emulator.add_user(USER)  # the user had talked to the bot before
    async with running_bot(emulator, recognition, speaker, tmp_path) as hey:
        await emulator.wait_for_async("sendMessage", chat_id=USER, count=2, timeout=30)
        for _ in range(50):
            if hey.store.stats()["answered"] == 1:
                break
            await asyncio.sleep(0.1)
        assert hey.store.stats()["answered"] == 1
    first, second = texts_to(emulator)
    assert first == texts.RECOVERED and "(416) 555-0199" in second


def test_settings_refuse_a_missing_or_malformed_token() -> None:
    with pytest.raises(SettingsError, match="not set"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="does not look like a bot token") as error:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "'123:abc'"})
    assert "abc" not in str(error.value)
    good = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35, "ADMIN_IDS": "1, 2"})
    assert good.admin_ids == {1, 2} and "AAAA" not in repr(good)
    with pytest.raises(SettingsError, match="ADMIN_IDS"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35, "ADMIN_IDS": "bob"})
    assert replace(good, photos_per_minute=3).photos_per_minute == 3


def test_bot_command_with_a_malformed_token_is_one_line_and_status_2(monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    assert main(["bot"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: TELEGRAM_BOT_TOKEN does not look like a bot token") and "\n" not in error


@pytest.mark.parametrize(
    "command",
    [
        ["-c", "import sys\nfrom bot.cli import main\nsys.exit(main(['read', 'big.jpg']))\n"],
        ["-m", "recognizer.cli", "read", "big.jpg"],
    ],
)
def test_the_readers_limits_in_dot_env_take_effect(tmp_path, command: list[str]) -> None:
    """HEY_NUMBER_MAX_IMAGE_BYTES written in .env (not exported): the recognizer's modules read it
    as they are imported, so `hey-number` and `python -m recognizer.cli` load .env first (each
    once loaded it too late)."""
    (tmp_path / ".env").write_text("HEY_NUMBER_MAX_IMAGE_BYTES=2097152\n")
    (tmp_path / "big.jpg").write_bytes(b"\xff" * 3 * 2**20)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("HEY_NUMBER_")}
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    result = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=120
    )
    assert result.returncode == 1
    assert "larger than 2 MB" in result.stdout + result.stderr


def test_make_run_without_a_token_answers_the_example_photos(monkeypatch, capsys, tmp_path) -> None:
    from bot.cli import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "(416) 555-0199" in printed and FICTION in printed
    notes = sorted(tmp_path.glob("*.ogg"))
    assert len(notes) == 2 and len(sorted(tmp_path.glob("*.annotated.png"))) == 2
    assert all(soundfile.info(str(note)).duration > 3 for note in notes)
