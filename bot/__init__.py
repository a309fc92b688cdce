"""hey-number's Telegram layer (python-telegram-bot). No image code here: photos go to
:mod:`recognizer`. The path of a photo: :mod:`bot.handlers` (download, store) →
:mod:`bot.recognition` (read off the event loop) → :mod:`bot.numbers` (check) → :mod:`bot.texts`
(words) → :mod:`bot.speech` (voice note). Settings: :mod:`bot.settings`; disk: :mod:`bot.store`."""
