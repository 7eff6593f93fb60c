"""Authentication and per-route policies for the API and the pages.

Every route declares who may call it: ``Depends(requires("admin", "caseworker"))``
returns the Actor, or ``dependencies=[Depends(public_route())]`` marks it public.
The dependency objects carry their policy, so `route_policy(route)` can read it
back and the authorisation test can fail on any route that declares none.

Credentials: ``Authorization: Bearer <token>`` (the API) or the ``ctdata_session``
cookie (the pages: HttpOnly, SameSite=Strict, Secure over https). A request
authenticated by the cookie that changes something (POST, PUT, PATCH, DELETE)
must also carry the session's CSRF token in the ``X-CSRF-Token`` header or a
``csrf_token`` form field. Every refusal is written to the audit log; refusals of
requests without valid credentials are counted per source and minute (cases.refusals).
"""

from __future__ import annotations

import hmac
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ctdata.cases.access import ROLES, Actor, NotAuthenticated, TooManyAttempts
from ctdata.cases.refusals import RefusalLog
from ctdata.cases.tx import queue_denial, transaction
from ctdata.cases.users import NewSession, on_session_change, session_actor
from ctdata.config import settings
from ctdata.errors import PermissionDenied
from ctdata.store.models import utcnow
from ctdata.text import Join, Text

COOKIE = "ctdata_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths served outside APIRoutes (OpenAPI, docs, static files) that are public by design.
PUBLIC_PATHS: set[str] = set()


def engine_of(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class Policy:
    """Dependency: authenticate the request and allow only the given roles; returns the Actor."""

    def __init__(self, roles: Iterable[str], why: str | None = None) -> None:
        self.roles = tuple(roles)
        self.why = why
        unknown = set(self.roles) - set(ROLES)
        if unknown or not self.roles:
            raise ValueError(f"unknown roles in policy: {sorted(unknown)}")

    def __repr__(self) -> str:
        return f"requires{self.roles}"

    async def __call__(self, request: Request) -> Actor:
        bearer, cookie = _bearer(request), request.cookies.get(COOKIE)
        csrf = request.headers.get(CSRF_HEADER)
        if bearer is None and cookie and request.method in UNSAFE and csrf is None:
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                csrf = value if isinstance(value, str) else None
        client = request.client.host if request.client else None
        cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
        token = bearer or cookie
        hit = cache.get(token) if cache is not None and token else None
        if hit is not None:  # fast path: only when allowed; any refusal goes the audited way below
            actor, csrf_token = hit
            csrf_ok = bearer is not None or request.method not in UNSAFE or hmac.compare_digest(csrf or "", csrf_token)
            if csrf_ok and actor.role in self.roles:
                request.state.actor, request.state.csrf_token = actor, csrf_token
                return actor
        checked = cache.generation() if cache is not None else None
        try:
            actor, csrf_token, expires = await run_in_threadpool(
                self._resolve,
                engine_of(request),
                bearer,
                cookie,
                csrf,
                request.method,
                f"{request.method} {request.url.path}",
                client,
                getattr(request.app.state, "refusals", None),
            )
        except PermissionDenied as exc:  # signed in but refused: the error page knows who is asking
            request.state.actor = getattr(exc, "actor", None)
            raise
        if cache is not None and checked is not None and token:
            cache.put(token, actor, csrf_token, expires, checked)
        request.state.actor = actor
        request.state.csrf_token = csrf_token
        return actor

    def _resolve(
        self,
        eng: Engine,
        bearer: str | None,
        cookie: str | None,
        csrf: str | None,
        method: str,
        where: str,
        client: str | None,
        refusals: RefusalLog | None = None,
    ) -> tuple[Actor, str, datetime]:
        with transaction(eng) as s:
            token = bearer or cookie

            def refuse(actor: str, reason: str, role: str | None = None) -> None:
                if actor == "anonymous" and refusals is not None:  # counted per source and minute
                    refusals.note(s, client, where, reason)
                    return
                queue_denial(
                    s,
                    actor=actor,
                    action="access_denied",
                    entity="route",
                    entity_id=where[:64],
                    reason=reason,
                    details={"client": client, "role": role},
                )

            if not token:
                refuse("anonymous", "no credentials")
                raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
            try:
                actor, auth = session_actor(s, token)
            except NotAuthenticated as exc:
                refuse("anonymous", str(exc))
                raise
            if bearer is None and method in UNSAFE and not hmac.compare_digest(csrf or "", auth.csrf_token):
                refuse(actor.username, "missing or wrong CSRF token", actor.role)
                exc = PermissionDenied(EXPIRED_FORM)
                exc.actor = actor  # type: ignore[attr-defined]
                raise exc
            if actor.role not in self.roles:
                refuse(actor.username, f"role {actor.role} not allowed", actor.role)
                roles = Join([ROLES_PLURAL.get(r, r.replace("_", " ") + "s") for r in self.roles], sep=", ")
                role = ROLE_WORDS.get(actor.role, actor.role.replace("_", " "))
                exc = PermissionDenied(self.why or Text(
                    "this is for {roles}; your role ({role}) does not give access to it", roles=roles, role=role))
                exc.actor = actor  # type: ignore[attr-defined]
                raise exc
            return actor, auth.csrf_token, auth.expires_at


#: A change whose form carries no session token, or another session's (the form was opened before the person
#: last signed in, or came from another site): the API's client reads the technical part, a page its language.
EXPIRED_FORM = Text("this form has expired (missing or wrong CSRF token); reload the page and try again")

#: Roles as a refusal names them (a `Text`, so the refusal page says them in its language).
ROLES_PLURAL = {"admin": Text("admins"), "data_manager": Text("data managers"), "caseworker": Text("caseworkers"),
                "analyst": Text("analysts"), "public": Text("the public")}
ROLE_WORDS = {"admin": Text("admin"), "data_manager": Text("data manager"), "caseworker": Text("caseworker"),
              "analyst": Text("analyst"), "public": Text("public")}


class TokenCache:
    """Sessions checked in the last few seconds, so a busy client does not cost a lookup per request.

    Only successful checks are cached (`requires` puts them), never longer than `ttl` seconds
    after the check began nor past the session's expiry. A logout or an account change through
    this process evicts at once, and again when it commits (users.on_session_change); a check
    that began before an eviction is not cached (`generation`), so it cannot put back a session
    read before the change. A change made by another process (a CLI command) takes effect within
    `ttl` seconds. One worker only: another worker's evictions never reach this cache
    (`WebSettings.cache_seconds` is 0 with several).
    """

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._items: dict[str, tuple[float, datetime, Actor, str]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        _caches.add(self)

    def get(self, token: str) -> tuple[Actor, str] | None:
        item = self._items.get(token)
        if item is None:
            return None
        checked_at, expires, actor, csrf = item
        if time.monotonic() - checked_at > self.ttl or expires <= utcnow():
            self.evict(token)
            return None
        return actor, csrf

    def generation(self) -> tuple[int, float]:
        """Take before checking a session; pass to `put` (which refuses it if an eviction came between)."""
        with self._lock:
            return self._generation, time.monotonic()

    def put(self, token: str, actor: Actor, csrf: str, expires: datetime, checked: tuple[int, float]) -> None:
        """Cache a session found live by a check that began at `checked` (from `generation`)."""
        generation, checked_at = checked
        with self._lock:
            if generation != self._generation:
                return  # a session ended or an account changed while it was checked
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[token] = (checked_at, expires, actor, csrf)

    def evict(self, token: str | None) -> None:
        """Forget one session, or every session when token is None."""
        with self._lock:
            self._generation += 1
            if token is None:
                self._items.clear()
            else:
                self._items.pop(token, None)


_caches: weakref.WeakSet[TokenCache] = weakref.WeakSet()


def _forget(token: str | None) -> None:
    for cache in list(_caches):
        cache.evict(token)


on_session_change(_forget)


class Public:
    """Dependency marking a route public (login, health, static files, the public portal)."""

    roles: tuple[str, ...] = ()
    public = True

    def __repr__(self) -> str:
        return "public_route()"

    async def __call__(self) -> None:
        return None


_policies: dict[tuple[tuple[str, ...], str | None], Policy] = {}
_PUBLIC = Public()


def requires(*roles: str, why: str | None = None) -> Policy:
    """The policy dependency for these roles (use with Depends); `why` explains a refusal to other roles."""
    key = tuple(sorted(set(roles)))
    if (key, why) not in _policies:
        _policies[(key, why)] = Policy(key, why)
    return _policies[(key, why)]


def public_route() -> Public:
    return _PUBLIC


def flat_routes(app: Any) -> list[tuple[str, frozenset[str], Any]]:
    """Every route of the app as (full path, methods, route), through included routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers
        return [(r.path, frozenset(getattr(r, "methods", None) or ()), r) for r in app.routes]
    return [(ctx.path, frozenset(ctx.methods or ()), ctx.original_route) for ctx in iter_route_contexts(app.routes)]


def route_policy(route: Any) -> Policy | Public | None:
    """The policy an APIRoute declares (None: it declares none, which the authz test refuses)."""
    if not isinstance(route, APIRoute):
        return None
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Policy | Public):
            return dep.call
        stack.extend(dep.dependencies)
    return None


# --- cookies (the pages) -------------------------------------------------------------------------


def set_session_cookie(response: Response, request: Request, new: NewSession) -> None:
    response.set_cookie(
        COOKIE,
        new.token,
        max_age=settings().session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def session_token(request: Request) -> str | None:
    return _bearer(request) or request.cookies.get(COOKIE)


async def signed_in(request: Request) -> Actor | None:
    """Who is signed in, on a page request no policy has checked: an address without a page, or a form's
    POST address opened as a page. The error page then shows the person their navigation rather than a
    sign-in link. Only the chrome of an error page uses it, which shows nothing of the store, so nothing
    is refused or audited here; an unknown or ended session is simply nobody."""
    actor = getattr(request.state, "actor", None)
    if actor is not None:
        return actor  # type: ignore[no-any-return]
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
    hit = cache.get(token) if cache is not None else None
    if hit is None:

        def look(eng: Engine) -> tuple[Actor, str] | None:
            with transaction(eng) as s:
                try:
                    who, auth = session_actor(s, token)
                except NotAuthenticated:
                    return None
                return who, auth.csrf_token

        hit = await run_in_threadpool(look, engine_of(request))
    if hit is None:
        return None
    request.state.actor, request.state.csrf_token = hit
    return hit[0]


# --- login rate limiting ---------------------------------------------------------------------------


class SlidingWindow:
    """At most `limit` events per key within `seconds` (in-process: for one worker; see ctdata.web.shared)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one event; 0 when allowed, else the seconds until one is allowed again."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and q[0] <= now - self.seconds:
                q.popleft()
            if len(q) >= self.limit:
                return q[0] + self.seconds - now
            q.append(now)
            if len(self._events) > 100_000:  # forget idle keys rather than grow without bound
                for k in [k for k, v in self._events.items() if not v][:50_000]:
                    del self._events[k]
            return 0.0


class LoginLimiter:
    """Login attempts per user name from one client, and per client over all names.

    Per name *and* client, like the lockout (cases.users): a limit per name alone would let
    anyone who knows a user name keep its owner from signing in.
    """

    def __init__(self, per_username: int = 10, per_client: int = 100, seconds: float = 60.0,
                 window: Callable[[str, int, float], Any] | None = None) -> None:
        """`window(name, limit, seconds)` makes the counters (default: in this process; the app's
        workers share theirs through `ctdata.web.shared.window_factory`)."""
        make = window or (lambda _name, limit, secs: SlidingWindow(limit, secs))
        self.by_user = make("login-user", per_username, seconds)
        self.by_client = make("login-client", per_client, seconds)

    def check(self, username: str, client: str | None) -> None:
        wait = max(self.by_client.hit(client or "?"), self.by_user.hit(f"{username.casefold()}\n{client or '?'}"))
        if wait > 0:
            exc = TooManyAttempts(Text("too many login attempts; try again in {seconds} seconds",
                                       seconds=int(wait) + 1))
            exc.retry_after = int(wait) + 1  # type: ignore[attr-defined]
            raise exc


def check_login_rate(request: Request, username: str) -> None:
    """Refuse with TooManyAttempts (HTTP 429) when this username or client tried too often."""
    limiter: LoginLimiter = request.app.state.login_limiter
    limiter.check(username, request.client.host if request.client else None)
