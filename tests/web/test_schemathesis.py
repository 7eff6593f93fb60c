"""Property-based fuzzing of the JSON API from its own OpenAPI schema: no input may cause a 5xx.

Schemathesis generates requests for every operation of /api/v1/openapi.json and
sends them in-process (ASGI) as an admin, on a store that holds a few cases so
that generated ids sometimes hit real rows. Examples per operation are bounded so
the whole run stays well under two minutes on both stores.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.cases import returns, screening, service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, CHILD, PERSON

EXAMPLES = 25
#: Logging out would end the fuzzing session; it is covered by test_api and test_authz.
SKIP = {("POST", "/api/v1/auth/logout")}


def _fuzz(op, auth: dict[str, str], failures: list[str]):  # type: ignore[no-untyped-def]
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=op.as_strategy(), anonymous=st.booleans())
    def run(case, anonymous: bool) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers={} if anonymous else dict(auth))
        if response.status_code >= 500:
            failures.append(f"{op.method.upper()} {op.path}: {response.status_code} for {case.as_curl_command()}")
        body_type = (response.headers.get("content-type") or [""])[0]
        assert body_type.startswith("application/json") or response.status_code == 204, body_type

    return run


def test_no_server_errors_for_generated_requests(app, engine, actors, headers):
    with transaction(engine) as s:
        for person in (PERSON, CHILD):
            cid = service.register_case(s, actors["admin"], person, CASE).id
            screening.screen(s, actors["admin"], cid, {"actions": ["recruitment"]})
            returns.open_return(s, actors["admin"], cid, {"consent_written": True})
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    auth = headers["admin"]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) in SKIP or op.path.startswith("/api/v1/auth/logout"):
            continue
        operations += 1

        _fuzz(op, auth, failures)()
    assert operations >= 25
    assert not failures, "\n".join(failures[:10])
