"""``python -m bot``: serve the Telegram bot (same as ``hey-number bot``)."""

import sys

from bot.cli import main

sys.exit(main(["bot", *sys.argv[1:]]))
