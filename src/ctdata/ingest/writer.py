"""A background writer: database work of an import runs on its own thread, in order.

SQLite and psycopg release the GIL while the database executes, so inserting
chunk N on this thread while the main thread validates and encrypts chunk N+1
uses the second core. All database calls of an import go through the writer
(FIFO), so the session is only ever used by one thread at a time, and the
whole import stays one transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_STOP = object()


class BackgroundWriter:
    def __init__(self, depth: int = 2) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="ctdata-import-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            fn, fut = item
            if self._error is not None:
                fut.set_exception(self._error)
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self._error = exc
                fut.set_exception(exc)

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        """Queue work; returns at once (blocks only when the queue is full)."""
        self._check()
        fut: Future[Any] = Future()
        self._q.put((fn, fut))
        return fut

    def call(self, fn: Callable[[], T]) -> T:
        """Run after everything queued so far, and wait for the result."""
        return self.submit(fn).result()

    def close(self) -> None:
        """Wait for queued work; re-raise the first error of the writer."""
        self._q.put(_STOP)
        self._thread.join()
        self._check()
