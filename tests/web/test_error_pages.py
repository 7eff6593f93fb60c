"""Error pages for a signed-in person where no route stands behind the address (an unknown path, a form's
POST address opened as a page), and the language switch on such an address (issue 19, found driving the
app in French: after a refused screening form, choosing another language led to "Something went wrong").
Runs on SQLite and PostgreSQL (tests/web/conftest.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.test_pages import HTML, signed_in


def _signed_in_chrome(html: str) -> bool:
    """The page shows the person's navigation and sign-out, not a sign-in link."""
    return 'class="main-nav"' in html and 'action="/logout"' in html and 'href="/login"' not in html


@pytest.mark.parametrize(("path", "status"), [
    ("/no/such/page", 404),
    ("/screening/register", 405),  # the screening form's POST address
    ("/cases/1/journey", 405),  # a case tab's form address
    ("/transfers/1/accept", 405),
])
def test_a_signed_in_person_keeps_their_navigation_on_an_address_without_a_page(
    app, engine, actors, path: str, status: int  # type: ignore[no-untyped-def]
) -> None:
    client, _ = signed_in(app, engine, "th")
    r = client.get(path)
    assert r.status_code == status
    assert _signed_in_chrome(r.text), "the error page offers Sign in to a signed-in person"
    assert "<h1>Page not found</h1>" in r.text
    assert "has been logged" not in r.text  # nothing went wrong on the server: it is not a page
    fr = client.get(path, headers={"accept-language": "fr"})
    assert "<h1>Page introuvable</h1>" in fr.text


def test_a_signed_out_visitor_is_offered_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers=HTML, follow_redirects=False)
    for path in ("/no/such/page", "/screening/register"):
        r = client.get(path)
        assert r.status_code in (404, 405) and 'href="/login"' in r.text and 'class="main-nav"' not in r.text


def test_an_ended_session_gets_the_signed_out_error_page(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    r = client.get("/no/such/page")
    assert r.status_code == 404 and 'href="/login"' in r.text and 'class="main-nav"' not in r.text


@pytest.mark.parametrize(("was_on", "goes_to"), [
    ("/screening/register", "/screening"),  # a refused screening form is shown at its POST address
    ("/cases/7/journey", "/cases/7"),  # a tab's form without JavaScript
    ("/data/quarantine/3/retry", "/data/quarantine/3"),
    ("/transfers/2/accept", "/cases"),  # nothing to GET above it
    ("/cases?page=2&q=Nga", "/cases?page=2&q=Nga"),  # a page: as it was, with its query
    ("/cases/7?tab=return", "/cases/7?tab=return"),
    ("//evil.example", "/cases"),
])
def test_the_language_switch_goes_back_to_a_page(app, was_on: str, goes_to: str) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers=HTML, follow_redirects=False)
    r = client.post("/language", data={"lang": "fr", "next": was_on})
    assert r.status_code == 303 and r.headers["location"] == goes_to
