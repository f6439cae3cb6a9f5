"""Change notification for the account ledger on PostgreSQL (LISTEN/NOTIFY).

Why: with several API workers on one PostgreSQL, every request used to read the account stream
("anything newer than what I folded?") before trusting a session: one query per request. With
this watch a worker folds new account events when PostgreSQL tells it that some were written (by
any worker or the CLI: every ledger write sends a NOTIFY after its commit), and checks sessions
in memory in between.

Safety: the watch counts as live only while its LISTEN connection is up; when it is not, the
ledger falls back to one read per request (as before), so a lost connection never makes a
revoked session usable. A NOTIFY that cannot be sent is covered by a fold every
`SAFETY_SECONDS` while listening.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger(__name__)
CHANNEL = "csm_account_ledger"
SAFETY_SECONDS = 5.0
RETRY_SECONDS = 1.0


class LedgerWatch:
    """A daemon thread that LISTENs and calls `on_change` on each notification (and every
    SAFETY_SECONDS); `live` is set only while listening. Holds the callback's owner weakly."""

    def __init__(self, url: str, on_change: Callable[[], None], safety_seconds: float = SAFETY_SECONDS) -> None:
        self.url = url
        self.safety_seconds = safety_seconds
        self._callback = weakref.WeakMethod(on_change)
        self.live = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not self._changed():  # anything written before we listened
                        return
                    self.live.set()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=self.safety_seconds, stop_after=1):
                            pass
                        if self._stop.is_set() or not self._changed():
                            return
            except Exception as exc:  # connection lost or refused: fall back to reads, then retry
                if self.live.is_set():
                    log.warning("account ledger watch lost its connection (%s); checking the store per request",
                                type(exc).__name__)
            finally:
                self.live.clear()
            self._stop.wait(RETRY_SECONDS)

    def _changed(self) -> bool:
        """Fold what is new; False once the ledger is gone (the thread then ends)."""
        callback = self._callback()
        if callback is None:
            return False
        callback()
        return True

    def stop(self) -> None:
        """Stop listening (the thread ends within SAFETY_SECONDS); the ledger reads per request again."""
        self._stop.set()
        self.live.clear()


class LedgerNotifier:
    """Sends the NOTIFY after each ledger write of this process (API worker or CLI alike)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def notify(self) -> None:
        with self._lock:
            for _ in range(2):  # a stale connection is replaced once
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                    self._conn.execute(f"NOTIFY {CHANNEL}")
                    return
                except psycopg.Error as exc:
                    log.warning("could not notify other workers of an account change (%s)", type(exc).__name__)
                    self._close()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close()
