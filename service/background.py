"""One body run every few seconds in a daemon thread of its own, until stopped (the change-log follower and the
alert service of each API process)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError


class BackgroundLoop:
    """Runs `_tick` every `interval` seconds in one daemon thread named `thread_name`; `stop` wakes and joins it.

    A timed wait, not a spin: the thread sleeps until the next tick or until `stop` sets the event. A failed tick
    is logged on `log` as "<what> failed (retrying)", its reason kept in `last_error` until a tick succeeds (a
    database away or restarting is retried at the next tick). With an interval of 0 or less `start` does nothing.
    """

    thread_name = "crosscheck-loop"
    what = "background round"
    log = logging.getLogger(__name__)

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        self._prepare_thread()
        while not self._stop.wait(self.interval):
            try:
                self._tick()
                self.last_error = None
            except SQLAlchemyError as exc:
                self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                self.log.warning("%s failed (retrying): %s", self.what, self.last_error)
            except Exception:
                self.last_error = "unexpected error (see log)"
                self.log.exception("%s failed (retrying)", self.what)

    def _prepare_thread(self) -> None:
        """Runs once in the thread before the first tick."""

    def _tick(self) -> None:
        raise NotImplementedError
