"""The one clock of the staff login: tests move it instead of sleeping."""
from __future__ import annotations

import time


def now() -> float:
    """Unix time in seconds; every wait, expiry and one-time code of `survey.auth` reads it here."""
    return time.time()
