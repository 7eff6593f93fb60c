"""The analysts' network page: networks and the within-region figures, with no identifying field."""

from __future__ import annotations

from pathlib import Path

from ctdata.ingest.standard_import import import_standard
from ctdata.standard.template import column_names
from ctdata.warehouse.build import build
from tests.ingest.helpers import record, write_records
from tests.web.test_pages import signed_in

SECRETS = ("Quorrin Vale", "Q-Man", "+66 81 999 1212", "081-999-1212", "DOCX-5521", "Soi Quorrin 7", "Олена",
           "Шевченко")


def test_network_page_names_nobody(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    analyst, _ = signed_in(app, engine, "analyst")
    r = analyst.get("/networks")
    assert r.status_code == 200 and "No networks." in r.text
    write_records(tmp_path / "records.csv", [record(i, citizenship="VN", country_of_exploitation="TH")
                                             for i in range(4)])
    write_records(tmp_path / "perpetrators.csv", [
        {"record_id": "R0", "roles": "recruiter", "citizenship": "VN", "names": SECRETS[0], "aliases": SECRETS[1],
         "phone_numbers": SECRETS[2], "document_numbers": SECRETS[4], "addresses": SECRETS[5]},
        {"record_id": "R1", "roles": "recruiter", "citizenship": "VN", "names": "Q. Vale", "phone_numbers": SECRETS[3]},
        {"record_id": "R2", "roles": "exploiter", "citizenship": "TH", "addresses": SECRETS[5]},
        {"record_id": "R3", "roles": "exploiter", "citizenship": "LA"},
    ], column_names("perpetrators"))
    import_standard(tmp_path)
    build(progress=False)
    r = analyst.get("/networks")
    assert r.status_code == 200, r.text[:300]
    for secret in (*SECRETS, "Vale", "1212", "Quorrin"):
        assert secret not in r.text
    assert "4 victims have their perpetrators recorded" in r.text
    # R0, R1 share the phone number, R0 and R2 the address: one network of three; R3 alone
    assert "2 networks; 1 of them link two victims or more" in r.text
    assert "among the regions of their perpetrators" in r.text
    assert 'href="/networks"' in r.text  # in the navigation
    caseworker, _ = signed_in(app, engine, "th")
    assert caseworker.get("/networks").status_code == 403
