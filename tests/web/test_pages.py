"""The case pages over HTTP (no browser): policies, sign-in, CSRF, the live determination,
registration, version conflicts, return gates, office scope, the analyst's view, escaping,
vendored assets and labelled inputs. Runs on SQLite and PostgreSQL (tests/web/conftest.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ctdata.cases import assistance, returns, screening, service, transfer, users
from ctdata.cases.tx import transaction
from ctdata.store.models import User
from ctdata.web.pages.auth import safe_next
from ctdata.web.security import COOKIE, Public, flat_routes, route_policy
from tests.web.conftest import CASE, CHILD, PASSWORD, PERSON

HTML = {"accept": "text/html"}
STATIC = Path(__file__).resolve().parents[2] / "src" / "ctdata" / "web" / "static"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "ctdata" / "web" / "templates" / "pages"


def signed_in(app, engine, username: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    """A browser-like client with a session cookie (no argon2 round trip) and its CSRF token."""
    with transaction(engine) as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        new = users.start_session(s, user)
    client = TestClient(app, headers=HTML, follow_redirects=False)
    client.cookies.set(COOKIE, new.token)
    return client, new.csrf_token


def followed(client: TestClient, r):  # type: ignore[no-untyped-def]
    """A form's answer when it did something: a redirect (post, then redirect), and the page it leads to."""
    assert r.status_code == 303, (r.status_code, r.text[-1500:])
    return client.get(r.headers["location"])


def csrf_in(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


@pytest.fixture
def th_case(engine, actors) -> int:  # type: ignore[no-untyped-def]
    """A TH child's case with screening, assistance (provider named) and a sharing consent."""
    with transaction(engine) as s:
        person = {**CHILD, "id_document_number": "P998877", "place_of_birth": "Savannakhet"}
        case = service.register_case(s, actors["th"], person, CASE)
        screening.screen(
            s,
            actors["th"],
            case.id,
            {
                "actions": ["recruitment"],
                "purposes": ["forced_labour"],
                "age_at_exploitation": 11,
                "notes": "Secret note",
            },
        )
        assistance.add_assistance(
            s, actors["th"], case.id, {"assistance_type": "medical", "provider": "Clinic Provider Name"}
        )
        transfer.record_consent(
            s, actors["th"], case.id, {"kind": "sharing", "organisation": "IOM VN", "document_ref": "Drawer 7"}
        )
        return case.id


# --- policies and sign-in -----------------------------------------------------------------------------


def test_every_page_route_declares_a_policy(app) -> None:  # type: ignore[no-untyped-def]
    pages = [
        (p, m, r)
        for p, m, r in flat_routes(app)
        if getattr(r, "endpoint", None) is not None and r.endpoint.__module__.startswith("ctdata.web.pages")
    ]
    assert len(pages) >= 15
    public = set()
    for path, methods, route in pages:
        policy = route_policy(route)
        assert policy is not None, f"{methods} {path} declares no policy"
        if isinstance(policy, Public):
            public.add(path)
        else:
            assert "public" not in policy.roles, f"{path} lets the public role into the case store"
    assert public == {"/login", "/logout", "/sw.js", "/language"}  # the service worker and the language hold no data


def test_anonymous_page_request_goes_to_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers=HTML, follow_redirects=False)
    r = client.get("/cases/5?tab=journey")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/cases/5%3Ftab%3Djourney"
    r = client.get("/cases/rows", headers={"hx-request": "true"})
    assert r.status_code == 204 and r.headers["hx-redirect"].startswith("/login")


def test_sign_in_form(app, actors) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers=HTML, follow_redirects=False)
    form = client.get("/login?next=/transfers/inbox")
    assert form.status_code == 200 and 'name="viewport"' in form.text
    token = csrf_in(form.text)
    r = client.post("/login", data={"username": "th", "password": "wrong-password", "csrf_token": token})
    assert r.status_code == 401 and "Could not sign in" in r.text
    token = csrf_in(r.text)
    r = client.post(
        "/login", data={"username": "th", "password": PASSWORD, "csrf_token": token, "next": "/transfers/inbox"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/transfers/inbox"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/transfers/inbox").status_code == 200
    # a login post without the form's token (another site's form) is refused
    other = TestClient(app, headers=HTML, follow_redirects=False)
    r = other.post("/login", data={"username": "th", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 400 and COOKIE not in r.headers.get("set-cookie", "")


def test_sign_out_ends_the_session(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/cases").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.clear()
    assert client.get("/cases").status_code == 303


@given(st.text(max_size=40))
def test_sign_in_returns_only_to_a_path_of_this_site(value: str) -> None:
    target = safe_next(value)
    assert target.startswith("/") and not target.startswith("//") and "\\" not in target


# --- CSRF ---------------------------------------------------------------------------------------------


def test_changes_need_the_session_csrf_token(app, engine, th_case) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    leg = {"from_country": "VN", "to_country": "TH", "crossing": "official_land"}
    r = client.post(f"/cases/{th_case}/journey", data=leg)
    assert r.status_code == 403 and "CSRF" in r.text and "<!doctype html>" in r.text
    r = client.post(f"/cases/{th_case}/journey", data={**leg, "csrf_token": csrf})
    assert r.status_code == 200 and "Step 1 of the journey added" in r.text
    r = client.post(f"/cases/{th_case}/journey", data=leg, headers={"X-CSRF-Token": csrf, "hx-request": "true"})
    assert r.status_code == 200 and "Step 2 of the journey added" in r.text and "<!doctype" not in r.text
    page = client.get(f"/cases/{th_case}?tab=journey").text
    assert "X-CSRF-Token" in page  # the HTMX header on <body>
    forms = page.count("<form")
    assert forms >= 2 and page.count('name="csrf_token"') == forms


# --- screening ----------------------------------------------------------------------------------------


def test_live_determination_explains_rule_and_missing(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    base = {"csrf_token": csrf, "actions": ["recruitment"], "purposes": ["forced_labour"]}
    r = client.post("/screening/determine", data={**base, "age_at_exploitation": "15"})
    assert r.status_code == 200
    assert "Victim of trafficking" in r.text and "art3_child_action_purpose" in r.text
    assert 'hx-swap-oob="true"' in r.text  # the phone's outcome bar updates too
    r = client.post("/screening/determine", data=base)
    assert "A means" in r.text and "The age when the exploitation began" in r.text
    # a recorded purpose without all the elements is exploitation or abuse: needs-first applies
    assert "Vulnerable migrant" in r.text and "Not eligible" not in r.text
    assert "needs_first_exploitation_or_abuse" in r.text
    r = client.post("/screening/determine", data={**base, "age_at_exploitation": "fifteen"})
    assert r.status_code == 200 and "Please check the form" in r.text and "whole number" in r.text


def test_register_case_from_the_screening_form(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post(
        "/screening/register",
        data={
            "csrf_token": csrf,
            "given_name": "Anan",
            "family_name": "Ruang",
            "date_of_birth": "2009",
            "place_of_birth": "Mawlamyine",
            "sex": "male",
            "citizenship": "MM",
            "age_at_exploitation": "14",
            "actions": ["transportation"],
            "purposes": ["forced_begging"],
            "registration_date": "2024-05-02",
            "country_of_exploitation": "TH",
            "consent_assistance": "yes",
            "consent_sharing": "IOM Myanmar\nSave the Children; UNHCR",
            "notes": "met at the border",
        },
    )
    assert r.status_code == 303
    case_id = int(re.match(r"/cases/(\d+)\?registered=1", r.headers["location"]).group(1))
    page = client.get(r.headers["location"])
    assert "Anan Ruang" in page.text and "registered" in page.text and "Victim of trafficking" in page.text
    assert "Mawlamyine" in page.text  # the place of birth, shown to the office that may see identities
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], case_id)
    assert view["status"] == "victim_of_trafficking" and view["exploitation"]["country_of_exploitation"] == "TH"
    assert view["person"]["place_of_birth"] == "Mawlamyine"
    # what screening recorded reaches the case record (issue 19)
    assert view["exploitation"]["types"] == ["forced_begging"]
    assert view["consent"]["sharing"] == ["IOM Myanmar", "Save the Children", "UNHCR"]
    assert view["consent"]["assistance"] is True
    # a refused registration keeps what was typed and creates nothing
    r = client.post(
        "/screening/register", data={"csrf_token": csrf, "given_name": "Kept Name", "date_of_birth": "not a date"}
    )
    assert r.status_code == 422 and 'value="Kept Name"' in r.text and "Not saved" in r.text
    with transaction(engine) as s:
        assert service.list_cases(s, actors["th"])["total"] == 1


# --- case page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["overview", "journey", "assistance", "return", "transfers", "consent", "audit"])
def test_every_tab_renders_in_page_and_as_partial(app, engine, th_case, tab) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    full = client.get(f"/cases/{th_case}?tab={tab}")
    assert full.status_code == 200 and f'id="tab-{tab}"' in full.text and 'aria-selected="true"' in full.text
    part = client.get(f"/cases/{th_case}/tabs/{tab}", headers={"hx-request": "true"})
    assert part.status_code == 200 and "<html" not in part.text and "<h2>" in part.text


def test_stale_version_gets_a_clear_message(app, engine, actors, th_case) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    stale = int(re.search(r'name="version" value="(\d+)"', client.get(f"/cases/{th_case}?tab=assistance").text)[1])
    with transaction(engine) as s:  # a colleague changes the case meanwhile
        assistance.add_assistance(s, actors["th2"], th_case, {"assistance_type": "legal"})
    r = client.post(
        f"/cases/{th_case}/assistance",
        data={"csrf_token": csrf, "version": str(stale), "assistance_type": "psychosocial"},
        headers={"hx-request": "true"},
    )
    assert r.status_code == 409
    assert "Someone else changed this case" in r.text and "Reload the case" in r.text
    listed = r.text.split('id="assistance-list"', 1)[1].split("</table>", 1)[0]
    assert "Legal" in listed and "Psychosocial" not in listed  # the colleague's change stands, ours was not saved


def test_return_travel_refused_until_child_gates_met(app, engine, actors, th_case) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    hx = {"hx-request": "true"}
    v = client.get(f"/cases/{th_case}?tab=return").text
    r = client.post(
        f"/cases/{th_case}/return",
        headers=hx,
        data={
            "csrf_token": csrf,
            "version": re.search(r'name="version" value="(\d+)"', v)[1],
            "receiving_office_country": "VN",
        },
    )
    assert r.status_code == 200 and "Return requested" in r.text
    rid = re.search(r'name="return_id" value="(\d+)"', r.text)[1]
    rver = re.search(r'name="version" value="(\d+)"\s*>\s*<input type="hidden" name="return_id"', r.text)[1]
    r = client.post(
        f"/cases/{th_case}/return/travelled", headers=hx, data={"csrf_token": csrf, "return_id": rid, "version": rver}
    )
    assert r.status_code == 409 and "Not marked travelled" in r.text
    for words in ("written consent", "risk assessment", "best-interest", "willingness", "means to care"):
        assert words in r.text
    r = client.post(
        f"/cases/{th_case}/return/gates",
        headers=hx,
        data={
            "csrf_token": csrf,
            "return_id": rid,
            "version": rver,
            "consent_written": "yes",
            "risk_level": "low",
            "risk_mitigations": "follow-up visits",
            "best_interest_determination": "yes",
            "bid_authority": "Child protection board",
            "guardian_willing": "yes",
            "guardian_able": "no",
        },
    )
    assert r.status_code == 200 and "1 check still open" in r.text
    assert 'data-gate="guardian_able" data-state="open"' in r.text
    with transaction(engine) as s:
        r_row = service.get_case(s, actors["th"], th_case)["returns"][0]
        returns.update_return(s, actors["th"], th_case, r_row["id"], {"guardian_able": True}, r_row["version"])
    page = client.get(f"/cases/{th_case}?tab=return").text
    assert 'data-state="open"' not in page
    version = re.search(r'name="version" value="(\d+)"\s*>\s*<input type="hidden" name="return_id"', page)[1]
    r = client.post(
        f"/cases/{th_case}/return/travelled",
        headers=hx,
        data={"csrf_token": csrf, "return_id": rid, "version": str(version), "travel_date": "2024-09-01"},
    )
    assert r.status_code == 200 and "Return marked travelled on 1 Sept 2024" in r.text, r.text[:3000]


def test_transfer_needs_consent_then_origin_office_accepts(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    th, csrf = signed_in(app, engine, "th")
    hx = {"hx-request": "true"}
    version = lambda: re.search(r'name="version" value="(\d+)"', th.get(f"/cases/{case_id}?tab=transfers").text)[1]  # noqa: E731
    r = th.post(
        f"/cases/{case_id}/transfers",
        headers=hx,
        data={"csrf_token": csrf, "version": version(), "to_office_country": "VN", "to_agency": "IOM"},
    )
    assert r.status_code == 409 and "has not agreed to share" in r.text and "?tab=consent" in r.text
    r = th.post(
        f"/cases/{case_id}/consents",
        headers=hx,
        data={
            "csrf_token": csrf,
            "version": version(),
            "kind": "sharing",
            "office_country": "VN",
            "organisation": "IOM",
            "given": "yes",
        },
    )
    assert r.status_code == 200 and "IOM Vietnam" in r.text
    r = th.post(
        f"/cases/{case_id}/transfers",
        headers=hx,
        data={
            "csrf_token": csrf,
            "version": version(),
            "to_office_country": "VN",
            "to_agency": "IOM",
            "reason": "return home",
        },
    )
    assert r.status_code == 200 and "Pending" in r.text
    assert "transfer-waiting" in r.text and "Send transfer request" not in r.text
    vn, vn_csrf = signed_in(app, engine, "vn")
    inbox = vn.get("/transfers/inbox")
    tid = re.search(r'action="/transfers/(\d+)/accept"', inbox.text)[1]
    r = vn.post(f"/transfers/{tid}/reject", headers=hx, data={"csrf_token": vn_csrf, "reason": ""})
    assert r.status_code == 422 and "say why" in r.text.lower()
    r = vn.post(f"/transfers/{tid}/accept", headers=hx, data={"csrf_token": vn_csrf})
    assert r.status_code == 200 and "accepted" in r.text and "No transfers are waiting" in r.text
    assert "Mai Tran" in vn.get("/cases").text
    page = th.get(f"/cases/{case_id}")
    assert "Your office transferred this case" in page.text


# --- who sees what ---------------------------------------------------------------------------------------


def test_other_office_gets_not_found(app, engine, actors, th_case) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "vn")
    for url in (f"/cases/{th_case}", f"/cases/{th_case}?tab=audit", f"/cases/{th_case}/tabs/journey"):
        r = client.get(url)
        assert r.status_code == 404 and "Page not found" in r.text and "Linh" not in r.text
    r = client.post(f"/cases/{th_case}/assistance", data={"csrf_token": csrf, "assistance_type": "legal"})
    assert r.status_code == 404 and "Linh" not in r.text
    assert "Linh" not in client.get("/cases?q=linh").text


SECRETS = ("Linh", "Pham", "2012-02-03", "P998877", "Savannakhet", "Secret note", "Clinic Provider Name", "Drawer 7")


def test_analyst_sees_no_identifying_field(app, engine, th_case) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "analyst")
    pages = [client.get("/cases"), client.get(f"/cases?q={th_case}"), client.get("/cases?q=Somebody")]
    pages += [
        client.get(f"/cases/{th_case}?tab={t}")
        for t in ("overview", "journey", "assistance", "return", "transfers", "consent")
    ]
    for r in pages:
        assert r.status_code == 200
        for secret in SECRETS:
            assert secret not in r.text, f"{secret!r} shown to the analyst at {r.url}"
    assert f"Case {th_case}" in pages[0].text and "Hidden for your role" in pages[3].text
    assert "case number only" in pages[2].text
    assert "Record assistance" not in pages[5].text  # no forms for a reader
    assert client.get("/screening").status_code == 403


def test_public_role_sees_nothing_of_the_case_store(app, engine, th_case) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "public")
    for url in ("/cases", f"/cases/{th_case}", "/screening", "/transfers/inbox"):
        r = client.get(url)
        assert r.status_code == 403 and "Linh" not in r.text and "Not allowed" in r.text


def test_everything_is_escaped(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    evil = '<script>alert("x")</script>'
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], {"given_name": evil, "family_name": "O'Neil"}, CASE).id
    client, _ = signed_in(app, engine, "th")
    for url in ("/cases", f"/cases/{case_id}"):
        text = client.get(url).text
        assert evil not in text and "&lt;script&gt;" in text


# --- assets and accessibility ---------------------------------------------------------------------------


def test_pages_load_only_assets_served_by_the_app(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    text = client.get("/screening").text
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text)
    assert "/static/vendor/htmx.min.js" in assets and "/static/css/pages.css" in assets
    for url in assets:
        if url.startswith("data:"):
            continue
        assert url.startswith("/static/"), f"{url} is not served by the app"
        assert (STATIC / url.removeprefix("/static/")).is_file()
        assert client.get(url).status_code == 200
    for template in TEMPLATES.rglob("*.html"):
        assert not re.search(r'(src|href)="(https?:)?//', template.read_text()), f"{template} links off-site"


class _Form(HTMLParser):
    """Inputs, selects and textareas, and the ids that a <label for> names or a <label> wraps."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.labelled.add(a["for"] or "")
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append({**a, "_wrapped": "1" if self._in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def test_every_input_has_a_label(app, engine, th_case) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    urls = ["/cases", "/screening", "/transfers/inbox"] + [
        f"/cases/{th_case}?tab={t}" for t in ("journey", "assistance", "return", "transfers", "consent")
    ]
    with transaction(engine) as s:
        returns.open_return(s, service_actor(engine), th_case, {})
    urls.append(f"/cases/{th_case}?tab=return")
    total = 0
    for url in urls:
        parser = _Form()
        parser.feed(client.get(url).text)
        for f in parser.fields:
            total += 1
            assert f["_wrapped"] or f.get("id") in parser.labelled, f"unlabelled {f} on {url}"
    assert total > 60


def service_actor(engine):  # type: ignore[no-untyped-def]
    from ctdata.cases.access import Actor

    with transaction(engine) as s:
        return Actor.of(s.execute(select(User).where(User.username == "th")).scalar_one())


def test_navigation_keeps_a_slot_for_linkage_review(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    dm, _ = signed_in(app, engine, "dm")
    text = dm.get("/cases").text
    assert "Linkage review" in text and "New screening" not in text
    th, _ = signed_in(app, engine, "th")
    assert "Linkage review" not in th.get("/cases").text
