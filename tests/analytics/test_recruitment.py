"""Recruitment tactics, the sector promised and the kinds of legal assistance, from the warehouse."""

from __future__ import annotations

import duckdb

from ctdata.analytics.recruitment import legal_assistance_types, promised_sector, recruitment_tactics


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE cases AS SELECT * FROM (VALUES "
        "('r1', 2011, 'case_management', ['job_offer', 'loan'], 'hospitality'),"
        "('r2', 2011, 'case_management', ['job_offer'], 'domestic_work'),"
        "('r3', 2011, 'case_management', ['abduction'], NULL),"
        "('r4', 2011, 'case_management', NULL, NULL)"
        ") t(record_key, registration_year, data_source, recruitment_tactics, promised_sector)"
    )
    con.execute(
        "CREATE TABLE assistance AS SELECT * FROM (VALUES "
        "('r1', 'legal', 'documents;compensation'), ('r2', 'legal', 'documents'), ('r2', 'legal', 'advice'),"
        "('r3', 'legal', NULL), ('r4', 'medical', NULL)"
        ") t(record_key, assistance_type, legal_types)"
    )
    return con


def test_tactics_count_a_record_under_each():
    t = recruitment_tactics(_con())
    assert dict(zip(t.data["value"], t.data["count"], strict=True)) == {"job_offer": 2, "loan": 1, "abduction": 1}
    assert (t.known, t.unknown) == (3, 1) and t.share_of("job_offer") == 2 / 3


def test_promised_sector_among_those_offered_a_job():
    t = promised_sector(_con())
    assert dict(zip(t.data["value"], t.data["count"], strict=True)) == {"hospitality": 1, "domestic_work": 1}
    assert t.unknown == 0  # r3 was abducted, not offered a job: not in the base


def test_legal_kinds_among_records_with_legal_assistance():
    t = legal_assistance_types(_con())
    assert dict(zip(t.data["value"], t.data["count"], strict=True)) == {"documents": 2, "compensation": 1, "advice": 1}
    assert (t.known, t.unknown) == (2, 1)  # r3's legal assistance does not say its kind; r4 had none
