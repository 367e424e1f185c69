"""HiGHS's licence banner, printed once per process, kept off dcplan's stderr."""

from __future__ import annotations

import os
import sys
import threading

_BANNER_LOCK = threading.Lock()
_banner_spent = False


def spend_banner() -> None:
    """Let HiGHS print its licence banner where nobody reads it, once per process.

    highspy prints the banner on file descriptor 1 when the process makes its first
    Highs, before any option can turn output off; dcplan points fd 1 at stderr while
    engines run, so every solve's stderr began with two lines that are not the plan's.
    Making the first Highs here, with fd 1 on /dev/null for that instant, spends it.
    """
    global _banner_spent
    with _BANNER_LOCK:
        if _banner_spent:
            return
        import highspy

        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_spent = True
