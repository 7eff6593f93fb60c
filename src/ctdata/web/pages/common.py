"""What every page view shares: the actor's CSRF token, a transaction, form parsing, errors as messages.

Why: a page turns the services' one-line errors (NotFound, Conflict, ...) into a
message a caseworker can act on, and never into a stack trace or a JSON blob.
The database work runs in a worker thread (the services are synchronous).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar, get_origin

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ctdata.cases.access import Actor, NotAuthenticated
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, CtdataError, NotFound, PermissionDenied, ValidationError
from ctdata.text import WORDS, Sentence, Text, as_sentence, from_data, to_data, words_of
from ctdata.web.errors import status_of
from ctdata.web.i18n import N_, reread
from ctdata.web.pages.render import Message, render
from ctdata.web.security import engine_of

T = TypeVar("T")

#: Roles that may open the case pages at all (the public never).
READERS = ("admin", "data_manager", "caseworker", "analyst")
#: Roles that do case work (screen, register, record, transfer).
WORKERS = ("admin", "caseworker")


def csrf_of(request: Request) -> str:
    return getattr(request.state, "csrf_token", "") or ""


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def run(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction of the app's store, in a worker thread."""

    def go() -> T:
        with transaction(engine_of(request)) as session:
            return work(session)

    return await run_in_threadpool(go)


async def form_of(request: Request) -> FormData:
    return await request.form()


#: The cookie that carries what a posted form did to the page the browser is sent to next (`see_other`).
DONE_COOKIE = "ctdata_done"


def _signature(request: Request, payload: bytes) -> str:
    return hmac.new(csrf_of(request).encode(), payload, hashlib.sha256).hexdigest()


def see_other(request: Request, url: str, message: Message, **context: Any) -> RedirectResponse:
    """Post, then redirect: a change done by a form is answered with a redirect to the page that shows it,
    so that a reload (or the browser's 'send again') repeats nothing.

    What was done (`message`, and any `context` the page shows, such as an import's counts) goes with the
    redirect in a cookie of a minute, signed with the session's CSRF secret: only this session's next page
    shows it (`done_of`), once (`shown`), in its reader's language (the words travel with their message ids).
    """
    data = {"message": {"kind": message.kind, "text": to_data(message.text), "title": to_data(message.title),
                        "items": to_data(message.items), "link": to_data(list(message.link)) if message.link else None},
            "context": to_data(context)}
    payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(DONE_COOKIE, base64.urlsafe_b64encode(payload).decode() + "." + _signature(request, payload),
                        max_age=60, httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


def done_of(request: Request) -> tuple[list[Message], dict[str, Any]]:
    """What the form posted just before this page did (see `see_other`): its message and context, or nothing
    (no cookie, another session's, or one tampered with)."""
    raw = request.cookies.get(DONE_COOKIE) or ""
    encoded, _, signature = raw.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return [], {}
    if not encoded or not csrf_of(request) or not hmac.compare_digest(signature, _signature(request, payload)):
        return [], {}
    data = json.loads(payload)
    m = data["message"]
    link = from_data(m["link"])
    message = Message(m["kind"], text=from_data(m["text"]), title=from_data(m["title"]), items=from_data(m["items"]),
                      link=(link[0], link[1]) if link else None)
    return [message], from_data(data["context"])


def shown(request: Request, response: Response) -> Response:
    """The page that showed what was done forgets it (a reload shows the page as it is)."""
    if DONE_COOKIE in request.cookies:
        response.delete_cookie(DONE_COOKIE)
    return response


def text(form: FormData, name: str) -> str | None:
    """A trimmed text field; None when empty (the services read None as 'not known')."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def yes_no(form: FormData, name: str) -> bool | None:
    value = text(form, name)
    if value is None:
        return None
    return value.lower() in ("yes", "true", "on", "1")


def standard_fields(form: FormData, model: type[BaseModel]) -> dict[str, Any]:
    """The form's values for the fields of a standard model, by field name (the model's types parse them).

    A form field is named after the model's field; lists come from repeated fields, yes/no
    from a checkbox or a select; fields the form leaves empty or lacks are left out, so the
    model's defaults apply, as they do for the API and the importers.
    """
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        if name not in form:
            continue
        if get_origin(f.annotation) is list:
            value: Any = many(form, name) or None
        elif f.annotation in (bool, bool | None):
            value = yes_no(form, name)
        else:
            value = text(form, name)
        if value is not None:
            out[name] = value
    return out


def integer(form: FormData, name: str, what: str) -> int | None:
    """A whole number typed in a form; `what` names it in the refusal (a `Text`, so a page can translate it)."""
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        problem = Text("{what} must be a whole number, not “{value}”", what=what, value=value)
        raise ValidationError.at(name, problem) from None


def version_of(form: FormData) -> int | None:
    return integer(form, "version", Text("the record version"))


TITLES = {
    Conflict: Text("Not saved: the record has changed or a rule stops this"),
    ValidationError: Text("Not saved: please check what you entered"),
    PermissionDenied: Text("Not allowed"),
    NotFound: Text("Not found"),
}


def field_errors(exc: CtdataError) -> dict[str, str]:
    """The form fields a refusal names (`ValidationError.fields`), each with its problem as a sentence.

    A nested field ('citizenship.0') is the form's field ('citizenship'); the first problem of a field is kept.
    """
    out: dict[str, str] = {}
    for where, problem in getattr(exc, "fields", {}).items():
        out.setdefault(where.split(".")[0], sentence(problem))
    return out


def typed_values(form: FormData) -> dict[str, Any]:
    """What a form held, to show again after a refusal (repeated fields as lists; no CSRF token)."""
    out: dict[str, Any] = {}
    for name in form:
        if name in ("csrf_token", "version"):
            continue
        got = [v for v in form.getlist(name) if isinstance(v, str)]
        out[name] = got if len(got) > 1 else (got[0] if got else None)
    return out


def error_message(exc: CtdataError) -> Message:
    """A service error as a page message; a stale version gets a clear 'reload' instruction.

    A refusal that names fields says so in the banner; each field's problem is shown beside it.
    """
    text_ = words_of(exc)
    fields = field_errors(exc)
    if fields:
        n = len(fields)
        return Message(
            "bad",
            title=Text("Not saved: please check what you entered"),
            text=Text("One field needs correcting; it is marked below.") if n == 1
            else Text("{count} fields need correcting; they are marked below.", count=n),
        )
    if isinstance(exc, Conflict) and "changed by someone else" in text_:
        return Message(
            "bad",
            title=Text("Someone else changed this case while you were editing"),
            text=Text("Your change was not saved. Reload the case to see the latest version, then enter your change "
                      "again."),
        )
    for cls, title in TITLES.items():
        if isinstance(exc, cls):
            return Message("bad", title=title, text=sentence(text_))
    return Message("bad", title=Text("Not saved"), text=sentence(text_))


def sentence(text_: str) -> str:
    """Words as a sentence; words made for translation (`ctdata.text`) stay translatable, and English words
    that lost their message id on the way (an f-string, a stored reason) are read back (`i18n.reread`)."""
    text_ = reread(text_)
    if isinstance(text_, WORDS):
        return Sentence(text_) if text_.strip() else ""
    return as_sentence(text_)


def error_page(request: Request, actor: Actor | None, code: int, detail: str = "") -> HTMLResponse:
    """The HTML page for an error status (404 for anything outside the actor's scope)."""
    titles = {
        401: (N_("Please sign in"), Text("Your session has ended or you are not signed in.")),
        403: (N_("Not allowed"), detail or Text("Your role does not allow this page.")),
        404: (N_("Page not found"), Text("There is no such page, or it is not open to your office.")),
        409: (N_("Not saved"), detail),
        422: (N_("Please check what you entered"), detail),
        429: (N_("Too many attempts"), detail or Text("Wait a minute and try again.")),
    }
    titles[405] = titles[404]  # a form's address opened as a page: for the person, no such page
    title, body = titles.get(code, (N_("Something went wrong"), Text("The error has been logged. Please try again.")))
    if is_htmx(request):  # a fragment is being replaced: answer with a message, not a whole page
        return render(
            request,
            "pages/_message.html",
            {},
            actor=actor,
            csrf=csrf_of(request),
            status_code=code,
            # the title is a marked English string the full page translates with `_`; a message says it as words
            messages=[Message("bad", title=Text(title), text=sentence(body))],
        )
    return render(
        request,
        "pages/error.html",
        {"title": title, "text": sentence(body)},
        actor=actor,
        csrf=csrf_of(request),
        status_code=code,
    )


def status_for(exc: CtdataError) -> int:
    return 401 if isinstance(exc, NotAuthenticated) else status_of(exc)
