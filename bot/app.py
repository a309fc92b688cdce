"""Building and running the bot: python-telegram-bot's Application with our handlers and services.

``build_application`` wires the handlers (:mod:`bot.handlers`) to a configured Application;
``run`` serves it by long polling, or by webhook when ``WEBHOOK_URL`` is set.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import admin, handlers
from bot.handlers import Services
from bot.limits import RateLimiter
from bot.memory import cap_malloc_arenas
from bot.recognition import RecognitionService
from bot.settings import Settings
from bot.speech import Speaker
from bot.store import Store
from recognizer.registry import ModelRegistry

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64  # updates handled at once (each chat still one at a time)
FLOOD_RETRIES = 3  # AIORateLimiter: retries of a request Telegram answered with 429


def build_services(settings: Settings) -> Services:
    """The recognizer, speaker, store and rate limiter the handlers share."""
    speaker = Speaker()
    speaker.voice_for("en")  # reads espeak's voice list once, before any handler needs it
    # The registry's current version (retrained under DATA_DIR/models/, else the shipped models/).
    registry = ModelRegistry(settings.data_dir / admin.MODELS_DIR)
    model_path = settings.model_path or registry.current().tflite
    return Services(
        settings=settings,
        recognition=RecognitionService.load(model_path, settings.recognition_workers),
        speaker=speaker,
        store=Store(settings.data_dir),
        limiter=RateLimiter(settings.photos_per_minute),
        registry=registry,
    )


def keep_token_out_of_logs(token: str) -> None:
    """httpx logs every request URL at INFO, and python-telegram-bot the API URL at DEBUG; both
    hold the token. Keep httpx at WARNING and blank the token out of any record that still has it."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    secret = token.split(":", 1)[-1]  # the bot id before the colon is public; the rest is not
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts", None) == token:
        return

    def redacting(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        # format now: arguments logged by reference (a dict PTB fills in later) cannot change after
        if record.args or secret in message:
            record.msg, record.args = message.replace(secret, "[secret]"), ()
        return record

    redacting.redacts = token  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)


def build_application(settings: Settings, hey: Services | None = None) -> Application:
    """An Application with every handler registered; ``hey`` defaults to :func:`build_services`."""
    keep_token_out_of_logs(settings.token)
    hey = hey or build_services(settings)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if settings.base_file_url:
        builder = builder.base_file_url(settings.base_file_url)
    application = builder.build()
    application.bot_data["services"] = hey
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:
    commands = {
        "start": handlers.start,
        "help": handlers.help_command,
        "voice": handlers.voice_command,
        "region": handlers.region_command,
        "language": handlers.language_command,
        "forget": handlers.forget_command,
        "cancel": handlers.cancel_command,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback))
    admin.add_handlers(application)  # /model, /retrain, /rollback: ADMIN_IDS only, not in the menu
    application.add_handler(MessageHandler(filters.PHOTO, handlers.on_photo))
    application.add_handler(MessageHandler(filters.Document.IMAGE, handlers.on_image_file))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(MessageHandler(filters.ALL, handlers.on_not_a_photo))
    application.add_error_handler(handlers.on_error)


async def _post_init(application: Application) -> None:
    await handlers.set_commands(application)
    # not application.create_task: the application is not running yet during post_init
    application.bot_data["recovery"] = asyncio.create_task(handlers.answer_missed_photos(application))


async def _post_shutdown(application: Application) -> None:
    hey: Services = application.bot_data["services"]
    await admin.shutdown(application)  # stops a running /retrain
    hey.recognition.close()
    hey.speaker.close()
    hey.store.close()


WEBHOOK_PATH = "telegram"


def webhook_options(settings: Settings) -> dict:
    """How the webhook is served and registered: python-telegram-bot's own server listens on
    ``WEBHOOK_LISTEN:WEBHOOK_PORT/telegram`` and Telegram is told ``WEBHOOK_URL/telegram``, with the
    secret token Telegram sends back in a header (updates without it are refused)."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url.rstrip("/") + "/" + WEBHOOK_PATH,
        "secret_token": settings.webhook_secret,
        "allowed_updates": Update.ALL_TYPES,
    }


def run(settings: Settings) -> None:
    """Serve until interrupted: long polling, or a webhook when ``settings.webhook_url`` is set."""
    cap_malloc_arenas()
    application = build_application(settings)
    if settings.webhook_url:
        log.info("serving by webhook on %s:%d", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(**webhook_options(settings))
    else:
        log.info("serving by long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
