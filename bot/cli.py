"""The ``hey-number`` command: the recognizer's commands plus ``bot`` (serve Telegram) and ``run``
(what ``make run`` does: the bot when a token is configured, else the example photos offline)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

# .env (of the directory the command runs in) before anything of the recognizer: its modules read
# their limits (HEY_NUMBER_MAX_IMAGE_BYTES, HEY_NUMBER_WORKING_SIDE, ...) as they are imported, and
# loaded later, by main(), they took effect only when exported in the shell
load_dotenv(find_dotenv(usecwd=True))

from recognizer import cli as recognizer_cli  # noqa: E402


def cmd_bot(args: argparse.Namespace) -> int:
    """Serve Telegram with the settings from the environment / .env."""
    from bot.app import run
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run(settings)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: the bot when TELEGRAM_BOT_TOKEN is set, else the example photos offline."""
    if os.environ.get("TELEGRAM_BOT_TOKEN", "").strip():
        print("hey-number: TELEGRAM_BOT_TOKEN is set, starting the bot (Ctrl-C stops it)")
        return cmd_bot(args)
    from bot.offline import EXAMPLES, run_examples

    photos = sorted(EXAMPLES.glob("*.jpg"))
    print(
        f"hey-number: no TELEGRAM_BOT_TOKEN in .env, so here is what the bot would answer for the "
        f"{len(photos)} example photos in {EXAMPLES}/\n"
    )
    region = os.environ.get("DEFAULT_REGION", "CA").strip() or "CA"
    status = run_examples(photos, Path(args.out), region)
    print(f"voice notes and annotated photos: {args.out}/")
    return status


def add_bot_commands(commands) -> None:
    bot = commands.add_parser("bot", help="serve the Telegram bot (TELEGRAM_BOT_TOKEN in .env)")
    bot.set_defaults(handler=cmd_bot)
    run = commands.add_parser("run", help="the main job (what `make run` does)")
    run.add_argument("--out", default="runs/examples", help="where to write voice notes and pictures")
    run.set_defaults(handler=cmd_run)


def main(argv: list[str] | None = None) -> int:
    return recognizer_cli.main(argv, extend=add_bot_commands)


if __name__ == "__main__":
    sys.exit(main())
