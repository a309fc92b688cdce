"""hey-number's Telegram layer (python-telegram-bot): no image code here. Built in issue #4."""
