"""Refusals of unauthenticated requests, audited per source and minute so that the log cannot be flooded.

Why: the audit log is append-only and hash-chained, so one row per refused request
lets any client on the network add thousands of rows a minute (and slow every
chain verification). A refusal of a request without valid credentials is audited
like this instead:

- the first refusal from a source in a minute is written at once (one row,
  ``details.count`` 1, with the route and the reason), so an alert sees it straight away;
- the rest of that minute is counted in memory and written as one row when the minute
  is over (``details.count`` = how many more, the reasons with their counts and up to
  `PATHS` of the routes tried).

So a source adds at most two rows a minute, and the counts of its rows add up to its
refusals. At most `max_sources` sources are told apart in one minute; refusals from
further sources in that minute are counted together under the source ``"other"``.
A minute's counts are written by `flush`, which the web app calls every few seconds
and when it shuts down. Refusals of authenticated users (wrong role, missing CSRF
token) are rare and name an account, so they are still audited one by one.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ctdata.cases.tx import queue_denial, record, transaction

ACTOR = "anonymous"
ACTION = "access_denied"
PATHS = 5
OTHER = "other"


@dataclass
class _Minute:
    count: int = 0  # refusals after the first (the first is written at once)
    reasons: Counter[str] = field(default_factory=Counter)
    paths: list[str] = field(default_factory=list)


class RefusalLog:
    """Per (minute, source) counts of refused unauthenticated requests (one instance per app)."""

    def __init__(self, eng: Engine, *, clock: Callable[[], float] = time.time, max_sources: int = 1000) -> None:
        self.eng, self.clock, self.max_sources = eng, clock, max_sources
        self._open: dict[tuple[int, str], _Minute] = {}
        self._sources: dict[int, int] = {}
        self._lock = threading.Lock()

    def note(self, session: Any, client: str | None, where: str, reason: str) -> None:
        """Count one refusal; the minute's first from this source is queued on `session` for the audit log."""
        minute = int(self.clock() // 60)
        source = (client or "unknown")[:64]
        with self._lock:
            if (minute, source) not in self._open and self._sources.get(minute, 0) >= self.max_sources:
                source = OTHER
            bucket = self._open.get((minute, source))
            if bucket is None:
                self._open[(minute, source)] = _Minute()
                self._sources[minute] = self._sources.get(minute, 0) + 1
            else:
                bucket.count += 1
                bucket.reasons[reason] += 1
                if where not in bucket.paths and len(bucket.paths) < PATHS:
                    bucket.paths.append(where)
        if bucket is None:
            queue_denial(
                session,
                actor=ACTOR,
                action=ACTION,
                entity="route",
                entity_id=where[:64],
                reason=reason,
                details={"client": source, "count": 1, "minute": _iso(minute)},
            )

    def flush(self, *, everything: bool = False) -> int:
        """Write one row per (minute, source) whose minute is over (all when `everything`); returns rows written."""
        now = int(self.clock() // 60)
        with self._lock:
            due = [k for k in self._open if everything or k[0] < now]
            taken = [(k, self._open.pop(k)) for k in sorted(due)]
            for minute in [m for m in self._sources if everything or m < now]:
                del self._sources[minute]
        rows = [(k, b) for k, b in taken if b.count]
        if not rows:
            return 0
        with transaction(self.eng) as s:
            for (minute, source), b in rows:
                record(
                    s,
                    actor=ACTOR,
                    action=ACTION,
                    entity="route",
                    entity_id=b.paths[0][:64] if b.paths else None,
                    reason=f"{b.count} more requests without valid credentials refused in this minute",
                    details={
                        "client": source,
                        "count": b.count,
                        "minute": _iso(minute),
                        "reasons": dict(b.reasons.most_common()),
                        "paths": b.paths,
                    },
                )
        return len(rows)


def _iso(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%MZ")
