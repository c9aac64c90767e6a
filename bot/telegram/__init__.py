"""The Telegram channel: python-telegram-bot (long polling or a webhook) in, Bot API calls out.

python-telegram-bot 22 warns on every read of a duration (`RetryAfter.retry_after`, even inside its own
constructor) unless the process opts in to the coming `timedelta` values. Opting in keeps 429 handling
free of deprecation warnings; our code accepts both forms."""

from __future__ import annotations

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")
