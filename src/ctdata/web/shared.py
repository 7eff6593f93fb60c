"""State the web app's workers share, so `ctdata serve --workers N` behaves like one worker.

Several worker processes answer requests for one store. Whatever a worker kept in its
own memory would be seen by that worker only: a login rate limit of 10 a minute would
allow 10 per worker, and a session ended on one worker would still be accepted by
another's cache. So:

- **login rate limits** are counted in the store (table ``rate_events``, the default: no
  further service) or in Redis (``shared_state = "redis"``), never in a worker's memory
  once there is more than one worker (`login_limiter`);
- **lockouts and sessions** live in the store already (``login_lockouts``,
  ``auth_sessions``); a lockout's count is updated under the store's write lock
  (`ctdata.cases.tx.lock_for_update`), so failures arriving at two workers at once are
  both counted;
- **the token cache** (`ctdata.web.security.TokenCache`, which spares a session lookup
  per request) is off when there are several workers: a logout or a disabled account
  must be refused by every worker at once, not after the cache's few seconds;
- **the audit chain** is serialised by the database (`ctdata.store.audit`), whatever the
  number of processes.

SQLite lets one process write at a time, so several workers on SQLite are refused
(`check_workers`): use PostgreSQL.

Settings: the ``[web]`` table of ctdata.toml, then ``CTDATA_WEB_*`` variables
(`ctdata serve --workers N` sets ``CTDATA_WEB_WORKERS`` for its workers).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from ctdata.errors import ConfigError
from ctdata.settings_base import BaseSettings, settings_dataclass
from ctdata.store.models import RateEvent

__all__ = ["DatabaseWindow", "RedisWindow", "WebSettings", "check_workers", "web_settings", "window_factory"]

SHARED_STATES = ("auto", "memory", "database", "redis")


@settings_dataclass
class WebSettings(BaseSettings):
    """How the web app runs and where its workers share state.

    workers: worker processes of `ctdata serve` (more than 1 needs PostgreSQL).
    shared_state: where login rate limits are counted: ``memory`` (this process: right for one
        worker on one machine), ``database`` (the store itself; no further service), ``redis`` (at
        `redis_url`), or ``auto``: memory for one worker, the database for several. Several
        machines each serving one store set ``database`` or ``redis``.
    redis_url: the Redis server for ``shared_state = "redis"`` (``redis://127.0.0.1:6379/0``).
    token_cache_seconds: how long a worker trusts a session it checked (spares a lookup per
        request); used only when state is in memory, since another worker cannot evict it at logout.
    db_connections: the most PostgreSQL connections the workers open together (each worker gets
        its share, at least 4); keep it below the server's max_connections minus other clients.
    forwarded_allow_ips: the reverse proxies (addresses or networks, comma-separated) whose
        X-Forwarded-For is believed; empty: none. Behind a proxy (or Docker's port mapping) every
        request otherwise comes from the proxy's address, and the per-client login limit and the
        lockouts (per account and source) would treat all clients as one.
    """

    workers: int = 1
    shared_state: str = "auto"
    redis_url: str = "redis://127.0.0.1:6379/0"
    token_cache_seconds: float = 5.0
    forwarded_allow_ips: str = ""
    db_connections: int = 40

    def validate(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"web workers must be at least 1, got {self.workers}")
        if self.shared_state not in SHARED_STATES:
            raise ConfigError(f"web shared_state must be one of {', '.join(SHARED_STATES)}, got {self.shared_state!r}")
        if self.shared_state == "redis" and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"web redis_url must start with redis://, rediss:// or unix://, got {self.redis_url!r}")
        if self.workers > 1 and self.shared_state == "memory":
            raise ConfigError(f"web shared_state 'memory' is for one worker; {self.workers} workers share state "
                              "through 'database' or 'redis'")
        if self.db_connections < 4:
            raise ConfigError(f"web db_connections must be at least 4, got {self.db_connections}")
        if self.token_cache_seconds < 0:
            raise ConfigError(f"web token_cache_seconds must be 0 or more, got {self.token_cache_seconds}")

    @property
    def state(self) -> str:
        """Where state is shared in fact: ``auto`` resolved by the number of workers."""
        if self.shared_state == "auto":
            return "memory" if self.workers == 1 else "database"
        return self.shared_state

    @property
    def connections_per_worker(self) -> int:
        return max(4, self.db_connections // self.workers)

    @property
    def cache_seconds(self) -> float:
        """The token cache's lifetime in use: none once workers share state (see the module's docstring)."""
        return self.token_cache_seconds if self.state == "memory" else 0.0


#: CTDATA_WEB_* variables that override the file, and how each is read.
_ENV = {"workers": int, "shared_state": str, "redis_url": str, "token_cache_seconds": float,
        "forwarded_allow_ips": str, "db_connections": int}


def web_settings(toml: dict | None = None) -> WebSettings:
    """The `[web]` table of ctdata.toml, then CTDATA_WEB_* variables over it (unknown keys refused)."""
    if toml is None:
        from ctdata.config import toml_table

        toml = toml_table("web")
    return WebSettings.from_table_and_environment(toml, "CTDATA_WEB_", _ENV)


def check_workers(workers: int, database_url: str) -> None:
    """Refuse several workers on SQLite (one writer at a time; see the module's docstring)."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if workers > 1 and database_url.startswith("sqlite"):
        raise ConfigError(
            f"--workers {workers} needs PostgreSQL: SQLite lets one process write at a time, so this store "
            "(SQLite) is served by one worker; set database_url to a postgresql:// URL to run several"
        )


# --------------------------------------------------------------------------- sliding windows
class Window(Protocol):
    """At most `limit` events per key within `seconds`; `hit` counts one and says how long to wait."""

    limit: int
    seconds: float

    def hit(self, key: str, now: float | None = None) -> float: ...


def _digest(name: str, key: str) -> str:
    """The stored key: a keyed digest (the store's MAC key), so the table (or Redis) holds no user names
    or addresses. An unkeyed one would not do: every IPv4 address, or a list of likely user names, can be
    hashed in minutes and matched against it."""
    from ctdata.store.crypto import keyring

    return keyring().pseudonym(name, key, purpose="rate-limit")


class DatabaseWindow:
    """A sliding window counted in the store, shared by every worker (and every machine) on it.

    One row per allowed event, with the time it stops counting. A hit takes a lock on its key
    (PostgreSQL: a transaction-scoped advisory lock on the key's digest; SQLite: the write lock),
    drops the key's expired rows, counts the rest and adds one when below the limit: two workers
    hitting one key at once are counted one after the other, never both allowed past the limit.
    Rows of keys no longer hit are dropped every `SWEEP` seconds.
    """

    SWEEP = 60.0

    def __init__(self, eng: Engine, name: str, limit: int, seconds: float) -> None:
        self.eng, self.name, self.limit, self.seconds = eng, name, limit, seconds
        self._swept = 0.0
        self._sweep_lock = threading.Lock()

    def _lock(self, session: Session, digest: str) -> None:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": digest})
        elif conn.dialect.name == "sqlite":
            raw = conn.connection.dbapi_connection
            if raw is not None and not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")

    def hit(self, key: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        digest = _digest(self.name, key)
        with Session(self.eng) as s, s.begin():
            self._lock(s, digest)
            s.execute(delete(RateEvent).where(RateEvent.key == digest, RateEvent.expires <= now))
            count, first = s.execute(
                select(func.count(), func.min(RateEvent.expires)).where(RateEvent.key == digest)
            ).one()
            if count >= self.limit:
                return float(first) - now
            s.add(RateEvent(key=digest, expires=now + self.seconds))
        self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        with self._sweep_lock:
            if now - self._swept < self.SWEEP:
                return
            self._swept = now
        with Session(self.eng) as s, s.begin():
            s.execute(delete(RateEvent).where(RateEvent.expires <= now))


# Atomic in Redis: drop the expired, count, add when below the limit; returns 0 or the ms to wait.
_REDIS_HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(first[2]) - tonumber(ARGV[1])))
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
"""


class RedisWindow:
    """A sliding window counted in Redis (a sorted set per key, updated by one atomic script)."""

    def __init__(self, url: str, name: str, limit: int, seconds: float) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigError("shared_state = 'redis' needs the redis client: pip install 'ctdata[redis]'") from exc
        self.url, self.name, self.limit, self.seconds = url, name, limit, seconds
        self._errors = redis.RedisError
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._script = self.client.register_script(_REDIS_HIT)
        self._n = 0
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._lock:
            self._n += 1
            member = f"{now:.6f}:{os.getpid()}:{threading.get_ident()}:{self._n}"
        window_ms = int(self.seconds * 1000)
        now_ms = int(now * 1000)
        try:
            wait_ms = self._script(
                keys=[f"ctdata:rate:{_digest(self.name, key)}"],
                args=[now_ms - window_ms, now_ms, self.limit, member, window_ms],
            )
        except self._errors as exc:  # refused, not allowed: a limit that cannot be counted does not hold
            raise ConfigError(f"the login rate limit cannot be counted: Redis at {self.url} answered {exc}") from None
        return int(wait_ms) / 1000.0


def window_factory(eng: Engine, cfg: WebSettings) -> Any:
    """How the app's login limiter counts: in this process (one worker), in the store, or in Redis."""
    if cfg.state == "memory":
        return None  # the in-process window: one worker sees every attempt
    if cfg.state == "redis":
        return lambda name, limit, seconds: RedisWindow(cfg.redis_url, name, limit, seconds)
    return lambda name, limit, seconds: DatabaseWindow(eng, name, limit, seconds)
