"""A one-line progress bar for experiments: runs done, failures, elapsed time, time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Redraws one line on ``stream`` as runs finish; prints only a final line when quiet.

    Args:
        total: runs in the experiment.
        done: runs already complete before this session (a resumed experiment).
        failed: failures already recorded.
        stream: where to draw (default stderr).
        live: redraw on every update; default: when ``stream`` is a terminal.
    """

    width = 24
    every_seconds = 0.2

    def __init__(self, total: int, done: int = 0, failed: int = 0,
                 stream: TextIO | None = None, live: bool | None = None) -> None:
        self.total = total
        self.done = done
        self.failed = failed
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._start_done = done
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, ok: bool) -> None:
        """Count one finished run."""
        self.done += 1
        self.failed += not ok
        now = time.monotonic()
        if self.live and (now - self._drawn >= self.every_seconds or self.done == self.total):
            self._drawn = now
            self.stream.write("\r" + self.line() + " ")
            self.stream.flush()

    def close(self) -> None:
        """Finish the line (or print it, when quiet)."""
        self.stream.write(("\r" if self.live else "") + self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        """``[#####-----] 12/40 runs, 1 failed, 00:31 elapsed, 01:12 left``."""
        filled = round(self.width * self.done / self.total) if self.total else self.width
        elapsed = time.monotonic() - self._started
        ran = self.done - self._start_done
        left = self.total - self.done
        eta = _clock(elapsed / ran * left) if ran and left else ("--:--" if left else "00:00")
        return (f"[{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} runs, "
                f"{self.failed} failed, {_clock(elapsed)} elapsed, {eta} left")


def _clock(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` from an hour.

    >>> _clock(75), _clock(3725)
    ('01:15', '1:02:05')
    """
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
