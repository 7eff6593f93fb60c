"""User accounts, passwords, login lockout and sessions.

Passwords are hashed with argon2id (argon2-cffi). After
`settings().max_failed_logins` consecutive failures from one source address an
account is locked for `settings().lockout_minutes` for that source only, so a
stranger who knows a user name cannot lock its owner out. Every failure (unknown
user, wrong password, disabled or locked account) gives the same message, so the
answer does not tell which user names exist. A session token is shown once to the client; the
store keeps only its SHA-256, so a copy of the database cannot be used to log in.
Each session has its own CSRF token for the cookie-based pages.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from ctdata.cases.access import ROLES, Actor, NotAuthenticated, deny, require_role
from ctdata.cases.agencies import require_agency
from ctdata.cases.common import record_by
from ctdata.cases.tx import lock_for_update, record
from ctdata.config import settings
from ctdata.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ctdata.standard.countries import UnknownCountry, to_alpha2
from ctdata.store.crypto import keyring
from ctdata.store.models import AuthSession, LoginLockout, User, utcnow
from ctdata.text import Plain, Text

_hasher = PasswordHasher()
_dummy: dict[int, str] = {}
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,80}$")
MIN_PASSWORD = 8
FAILED = Text("wrong username or password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _dummy_hash() -> str:
    """A hash made with the current parameters, so an unknown user costs as much as a known one."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash("not a password of anyone")
    return _dummy[key]


def check_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    office_country: str | None = None,
    agency: str | None = None,
) -> User:
    """Create an account; caseworkers need an office (country and agency)."""
    require_role(session, actor, ("admin",), "user.create")
    if not USERNAME.match(username or ""):
        raise ValidationError(Text("a username is 2 to 80 letters, digits or . _ @ -"))
    if role not in ROLES:
        raise ValidationError(Text("role must be one of: {roles}", roles=Plain(", ".join(ROLES))))
    _check_new_password(password)
    if office_country:
        try:
            office_country = to_alpha2(office_country)
        except UnknownCountry as exc:
            raise ValidationError(exc.args[0] if exc.args else str(exc)) from None
    agency = require_agency(session, agency) if agency is not None and str(agency).strip() else None
    if role == "caseworker" and not (office_country and agency):
        raise ValidationError(Text("a caseworker needs an office: give its country and agency (--office and --agency)"))
    if session.execute(select(User.id).where(User.username == username)).scalar() is not None:
        raise Conflict(Text("user “{user}” already exists", user=username))
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        office_country=office_country or None,
        agency=agency,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    record_by(
        session, actor, "user.create", user.id,
        {"username": username, "role": role, "office": office_country, "agency": agency},
        entity="user",
    )
    return user


def _check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD or len(password) > 1024 or "\x00" in password:
        raise ValidationError(Text("a password needs at least {count} characters", count=MIN_PASSWORD))


def user_dict(u: User, locked: datetime | None = None) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "role": u.role,
        "office_country": u.office_country,
        "agency": u.agency,
        "active": u.active,
        "locked_until": locked,
        "created_at": u.created_at,
    }


def list_users(session: Session, actor: Actor) -> list[dict[str, Any]]:
    require_role(session, actor, ("admin",), "user.list")
    rows = session.execute(select(User).order_by(User.username)).scalars().all()
    record_by(session, actor, "user.list", None, {"count": len(rows)}, entity="user")
    return [user_dict(u, locked_until(session, u)) for u in rows]


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Enable or disable an account (admin). Disabling ends its sessions: tokens and cookies stop working at once."""
    require_role(session, actor, ("admin",), "user.update")
    user = _user(session, username)
    if not active and user.username == actor.username:
        raise Conflict(Text("you cannot disable your own account; ask another admin"))
    user.active = active
    ended = 0 if active else _revoke_all(session, user)
    if active:
        _clear_lockouts(session, user)
    _account_changed(session, actor, "user.activate" if active else "user.deactivate", user, ended)
    return user


def end_sessions(session: Session, actor: Actor, username: str) -> int:
    """End every live session of an account (admin); returns how many were ended. Audited."""
    require_role(session, actor, ("admin",), "user.end_sessions")
    user = _user(session, username)
    ended = _revoke_all(session, user)
    _account_changed(session, actor, "user.end_sessions", user, ended)
    return ended


def reset_password(session: Session, actor: Actor, username: str, password: str) -> User:
    """Set a new password (admin); the account's sessions end, its lockouts are lifted. The password is not audited."""
    require_role(session, actor, ("admin",), "user.reset_password")
    user = _user(session, username)
    _check_new_password(password)
    user.password_hash = hash_password(password)
    ended = _revoke_all(session, user)
    _clear_lockouts(session, user)
    _account_changed(session, actor, "user.reset_password", user, ended)
    return user


#: The languages of the case pages (ctdata.web.i18n offers the same).
PAGE_LANGUAGES = ("en", "fr", "es", "ar")


def set_language(session: Session, actor: Actor, language: str | None) -> User:
    """The language the actor's own account reads the pages in (None: as the browser asks). Audited."""
    if language is not None and language not in PAGE_LANGUAGES:
        raise ValidationError.at("language",
                                 Text("choose one of {languages}", languages=Plain(", ".join(PAGE_LANGUAGES))))
    user = _user(session, actor.username)
    user.language = language
    record_by(session, actor, "user.language", user.id, {"language": language}, entity="user")
    return user


def _account_changed(session: Session, actor: Actor, action: str, user: User, ended: int) -> None:
    """Caches forget accounts and sessions; the change is audited with how many sessions it ended."""
    _notify(session, None)
    record_by(session, actor, action, user.id, {"username": user.username, "sessions_ended": ended}, entity="user")


def _revoke_all(session: Session, user: User) -> int:
    live = (
        session.execute(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked.is_(False), AuthSession.expires_at > utcnow()
            )
        )
        .scalars()
        .all()
    )
    for auth in live:
        auth.revoked = True
    return len(live)


def require_account(
    session: Session, actor: Actor, roles: tuple[str, ...], action: str, entity: str, entity_id: object = None
) -> User:
    """The actor's account, when it is an active account of the store with one of ``roles``.

    Checked against the accounts table, not taken from the ``Actor``: a name made
    up on the command line, a disabled account or one of another role is refused,
    and the refusal is audited (``access_denied``, written even if the caller's
    transaction rolls back). Workflows that need an accountable person (release
    approval, linkage decisions) call this first.
    """
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    doing = ACTION_WORDS.get(action) or action.replace("_", " ")
    why: str
    if user is None or user.username != actor.username:
        why = Text("no such account")
    elif not user.active:
        why = Text("account disabled")
    elif user.role not in roles:
        why = Text("role {role} may not {action}", role=user.role, action=doing)
    else:
        return user
    deny(session, actor, action, entity, entity_id, str(why))
    raise PermissionDenied(Text("{action} needs an active {roles} account; '{user}' is not one ({why})",
                                action=doing, roles=_either(roles), user=actor.username, why=why))


#: the actions `require_account` guards, as its refusal names them (a `Text`: a page says it in its language)
ACTION_WORDS: dict[str, Text] = {
    "release_create": Text("release create"), "release_approve": Text("release approve"),
    "release_withdraw": Text("release withdraw"), "export_ctdc": Text("export ctdc"),
    "link_review_decide": Text("link review decide"),
}
#: roles as `require_account`'s refusal names them ('an active admin or data-manager account')
ACCOUNT_ROLE_WORDS: dict[str, Text] = {
    "admin": Text("admin"), "data_manager": Text("data-manager"), "analyst": Text("analyst"),
    "caseworker": Text("caseworker"), "public": Text("public"),
}


def _either(roles: tuple[str, ...]) -> str:
    """'admin or data-manager', 'analyst or data-manager or admin', each role in the page's language."""
    words = [ACCOUNT_ROLE_WORDS.get(r) or r.replace("_", "-") for r in roles]
    said = words[-1]
    for word in reversed(words[:-1]):
        said = Text("{one} or {other}", one=word, other=said)
    return said


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar()
    if user is None:
        raise NotFound(Text("user “{user}” not found", user=username))
    return user


def _source(client: str | None) -> str:
    return (client or "unknown")[:64]


def _lockout(session: Session, user: User, client: str | None, *, fresh: bool = False) -> LoginLockout | None:
    """The lockout row of this account and source; `fresh` reloads it from the database (after a lock)."""
    q = (
        select(LoginLockout)
        .where(LoginLockout.user_id == user.id, LoginLockout.client == _source(client))
        .order_by(LoginLockout.id)
        .limit(1)
    )
    if fresh:
        q = q.execution_options(populate_existing=True)
    return session.execute(q).scalar()


def _clear_lockouts(session: Session, user: User, client: str | None = None) -> None:
    """Forget failed logins of this account (from one source, or from all when client is None).

    Under the store's write lock, taken first, as a failed login counts (`authenticate`): on PostgreSQL
    that lock is the audit chain's, which every transaction takes at its commit. A delete that locked
    the lockout row before it would wait at commit for a failed login holding the chain's lock while
    that login waits for the row: a deadlock, one of the two refused. One order for every writer of
    lockout rows: the chain's lock, then the row."""
    lock_for_update(session)
    q = delete(LoginLockout).where(LoginLockout.user_id == user.id)
    if client is not None:
        q = q.where(LoginLockout.client == _source(client))
    session.execute(q)


def locked_until(session: Session, user: User) -> datetime | None:
    """The latest time until which some source is locked out of this account (None: no lockout now)."""
    until = session.execute(select(func.max(LoginLockout.locked_until)).where(LoginLockout.user_id == user.id)).scalar()
    return until if until is not None and until > utcnow() else None


def authenticate(session: Session, username: str, password: str, client: str | None = None) -> User:
    """The user for these credentials; NotAuthenticated with one message for every cause otherwise.

    Failures are counted per account and source address and audited (the audit entry says
    why); an account locked for this source fails even with the right password, while the
    same account from another source is not affected.
    """
    now = utcnow()
    user = session.execute(select(User).where(User.username == username)).scalar() if username else None
    if user is None:
        check_password(_dummy_hash(), password or "")  # same time as a real check
        _failed(session, username, None, "unknown user", client)
        raise NotAuthenticated(FAILED)
    if not user.active:
        check_password(_dummy_hash(), password or "")
        _failed(session, username, user.id, "account disabled", client)
        raise NotAuthenticated(FAILED)
    lock = _lockout(session, user, client)
    if lock is not None and lock.locked_until is not None and lock.locked_until > now:
        check_password(_dummy_hash(), password or "")
        _failed(session, username, user.id, "account locked for this source", client)
        raise NotAuthenticated(FAILED)
    if not check_password(user.password_hash, password or ""):
        cfg = settings()
        # Count under the store's write lock, reading the row afresh: failures arriving at several
        # workers (or threads) at once each read the count before the others' commits otherwise, and
        # all but one increment would be lost (a lockout after more attempts than allowed).
        lock_for_update(session)
        lock = _lockout(session, user, client, fresh=True)
        if lock is not None and lock.locked_until is not None and lock.locked_until > now:
            _failed(session, username, user.id, "account locked for this source", client)
            raise NotAuthenticated(FAILED)
        if lock is None:
            lock = LoginLockout(user_id=user.id, client=_source(client), failures=0)
            session.add(lock)
        if lock.locked_until is not None:  # an earlier lockout has run out: count afresh
            lock.failures, lock.locked_until = 0, None
        lock.failures = (lock.failures or 0) + 1
        lock.updated_at = now
        reason = f"wrong password ({lock.failures} in a row from this source)"
        if lock.failures >= cfg.max_failed_logins:
            lock.locked_until = now + timedelta(minutes=cfg.lockout_minutes)
            reason += f"; locked for {cfg.lockout_minutes} minutes for this source"
        _failed(session, username, user.id, reason, client)
        raise NotAuthenticated(FAILED)
    if lock is not None:
        _clear_lockouts(session, user, client)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(
        session,
        actor=user.username,
        action="login",
        entity="user",
        entity_id=user.id,
        details={"client": client},
    )
    return user


def _failed(session: Session, username: str, user_id: int | None, reason: str, client: str | None) -> None:
    # Recorded in the caller's transaction, which commits: a failed login is not an error of the store.
    record(
        session,
        actor=(username or "")[:80] or "anonymous",
        action="login_failed",
        entity="user",
        entity_id=user_id,
        reason=reason,
        details={"client": client},
    )


#: Called with a token when its session ends, or None when accounts change (caches must forget).
_session_listeners: list[Callable[[str | None], None]] = []


def on_session_change(listener: Callable[[str | None], None]) -> None:
    """Register a cache that must forget sessions as soon as they end (see web.security.TokenCache)."""
    _session_listeners.append(listener)


_ENDED = "ctdata_sessions_ended"


def _notify(session: Session, token: str | None) -> None:
    """Caches forget now, and again when the change commits.

    Now: no request of this process is let through on a cached session from here on. At commit: a
    request that read the session before the change committed may have cached it meanwhile.
    """
    for listener in _session_listeners:
        listener(token)
    session.info.setdefault(_ENDED, []).append(token)


@event.listens_for(Session, "after_commit")
def _notify_after_commit(session: Session) -> None:
    for token in session.info.pop(_ENDED, []):
        for listener in _session_listeners:
            listener(token)


@event.listens_for(Session, "after_transaction_end")
def _forget_notices(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ENDED, None)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, minutes: int | None = None) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(minutes=minutes or settings().session_minutes)
    session.add(AuthSession(token_hash=token_hash(token), user_id=user.id, csrf_token=csrf, expires_at=expires))
    session.flush()
    return NewSession(token, csrf, expires)


def session_actor(session: Session, token: str | None) -> tuple[Actor, AuthSession]:
    """The actor of a live session token; NotAuthenticated when unknown, expired, revoked or disabled."""
    if not token or len(token) > 200:
        raise NotAuthenticated(Text("log in first"))
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise NotAuthenticated(Text("the session is not valid; log in again"))
    auth, user = row
    if auth.revoked or auth.expires_at <= utcnow():
        raise NotAuthenticated(Text("the session has expired; log in again"))
    if not user.active:
        raise NotAuthenticated(Text("the account is disabled"))
    return Actor.of(user), auth


#: what the key of a session's offline drafts is derived for (a pseudonym purpose of the store's keys)
DRAFT_KEY_PURPOSE = "offline-drafts"


def draft_key(session: Session, token: str | None) -> tuple[bytes, datetime]:
    """The AES key a browser encrypts its offline drafts with, and when it expires: the session's end.

    Derived from the session (an HMAC of its token's digest with the store's keys), so the server
    keeps nothing new, another session gets another key, and after the session ends (logout,
    expiry, a disabled account) no one is given it again: drafts a browser still held could not be
    read. NotAuthenticated when the session is not live."""
    _actor, auth = session_actor(session, token)
    keys = keyring()
    halves = (keys.pseudonym(auth.token_hash, purpose=f"{DRAFT_KEY_PURPOSE}/{n}") for n in (1, 2))
    return bytes.fromhex("".join(halves)), auth.expires_at  # 2 x 128 bits: an AES-256 key


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    auth = session.execute(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).scalar()
    _notify(session, token)
    if auth is not None and not auth.revoked:
        auth.revoked = True
        record(session, actor=str(auth.user_id), action="logout", entity="user", entity_id=auth.user_id)
