import json
from pathlib import Path

import pandas as pd
import pytest

from ctdata.errors import CtdataError
from ctdata.publish.kanon import KAnonSettings, kanonymise
from ctdata.publish.package import sha256_file, verify_release, write_release
from ctdata.publish.releases import ReleaseRegistry
from ctdata.publish.synthetic import SyntheticSettings, synthesise

from .conftest import CANARIES


def _kanon_release(df, out: Path):
    res = kanonymise(df, KAnonSettings(k=5))
    return res, write_release(
        res.data,
        out,
        release_id="kanon-test-v1",
        kind="kanon",
        title="Test release",
        settings=res.settings.to_dict(),
        report=res.report,
        method_summary="k-anonymised",
    )


def test_files_checksums_and_hxl(rows, tmp_path):
    res, manifest = _kanon_release(rows, tmp_path / "r")
    out = tmp_path / "r"
    for f in [
        "records.csv",
        "records.parquet",
        "records.xlsx",
        "codebook.csv",
        "codebook.md",
        "datapackage.json",
        "README.md",
        "settings.json",
        "report.json",
        "manifest.json",
    ]:
        assert (out / f).exists(), f
    for f, m in manifest["files"].items():
        assert sha256_file(out / f) == m["sha256"]
    assert verify_release(out) == []
    lines = (out / "records.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("#date+year+registered")
    assert "#affected+sex" in lines[1]
    assert len(lines) == len(res.data) + 2
    back = pd.read_csv(out / "records.csv", skiprows=[1], keep_default_na=False, na_values=[""])
    assert len(back) == len(res.data)
    assert len(pd.read_parquet(out / "records.parquet")) == len(res.data)
    dp = json.loads((out / "datapackage.json").read_text())
    assert dp["profile"] == "tabular-data-package"
    csv_res = next(r for r in dp["resources"] if r["path"] == "records.csv")
    assert csv_res["hash"] == "sha256:" + manifest["files"]["records.csv"]["sha256"]
    assert [f["name"] for f in csv_res["schema"]["fields"]] == list(back.columns)
    readme = (out / "README.md").read_text()
    assert manifest["files"]["records.csv"]["sha256"] in readme and "k-anonymity" in readme
    assert KAnonSettings.from_json((out / "settings.json").read_text()) == res.settings


def test_immutable_and_tamper_evident(rows, tmp_path):
    _kanon_release(rows, tmp_path / "r")
    with pytest.raises(CtdataError):
        _kanon_release(rows, tmp_path / "r")
    p = tmp_path / "r" / "records.csv"
    p.chmod(0o644)
    p.write_text("tampered", encoding="utf-8")
    assert "records.csv" in verify_release(tmp_path / "r")


def test_refuses_identifier_columns(tmp_path):
    for col in [
        "given_name",
        "family_name",
        "date_of_birth",
        "id_document_number",
        "record_id",
        "record_key",
        "person_key",
    ]:
        with pytest.raises(CtdataError):
            write_release(
                pd.DataFrame({"sex": ["male"], col: ["x"]}),
                tmp_path / col,
                release_id="x",
                kind="k",
                title="t",
                settings={},
                report={},
                method_summary="m",
            )
        assert not (tmp_path / col).exists()


def test_registry_lifecycle(rows, tmp_path):
    reg = ReleaseRegistry(tmp_path)
    res = kanonymise(rows, KAnonSettings(k=5))
    kw = dict(
        kind="kanon",
        title="T",
        settings=res.settings.to_dict(),
        report=res.report,
        method_summary="m",
        created_by="ana",
    )
    e1 = reg.create(res.data, **kw)
    e2 = reg.create(res.data, **kw)
    assert (e1.version, e2.version) == (1, 2) and e1.state == "draft"
    assert reg.public() == []
    with pytest.raises(CtdataError):
        reg.approve(e1.release_id, by="ana")  # four eyes
    a = reg.approve(e1.release_id, by="dm")
    assert a.state == "approved" and a.approved_by == "dm" and a.approved_at
    assert [e.release_id for e in reg.public()] == [e1.release_id]
    with pytest.raises(CtdataError):
        reg.approve(e1.release_id, by="dm")
    reg.withdraw(e1.release_id, by="dm", reason="error found")
    assert reg.public() == []
    assert reg.get(e1.release_id).withdrawn_reason == "error found"
    with pytest.raises(CtdataError):
        reg.get("nope")


def _all_text(out: Path) -> str:
    chunks = []
    for p in out.iterdir():
        data = p.read_bytes()
        chunks.append(data.decode("utf-8", errors="ignore"))
        if p.suffix in (".parquet", ".xlsx"):
            df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_excel(p)
            chunks.append(df.to_csv())
    return "\n".join(chunks)


def test_canary_identifiers_never_reach_a_release(rows_with_identifiers, tmp_path):
    _kanon_release(rows_with_identifiers, tmp_path / "k")
    syn = synthesise(rows_with_identifiers, SyntheticSettings(columns=["sex", "citizenship"], iters=30))
    write_release(
        syn.data,
        tmp_path / "s",
        release_id="synthetic-test-v1",
        kind="synthetic",
        title="S",
        settings=syn.settings.to_dict(),
        report={"privacy": syn.privacy},
        method_summary="dp",
    )
    for out in (tmp_path / "k", tmp_path / "s"):
        text = _all_text(out)
        for col, value in CANARIES.items():
            assert value not in text, f"{col} leaked into {out.name}"


def test_api_release_kanon_is_a_draft_until_approved(rows, tmp_path):
    from ctdata.publish.api import release_kanon

    entry, report = release_kanon(rows, KAnonSettings(k=5), tmp_path, created_by="analyst")
    reg = ReleaseRegistry(tmp_path)
    assert entry.state == "draft" and reg.public() == []
    assert report["checks"]["k_anonymity"]["k_anonymous"]
    reg.approve(entry.release_id, by="manager")
    assert [e.release_id for e in reg.public()] == [entry.release_id]
    assert verify_release(reg.path(entry.release_id)) == []


def test_codebook_of_an_empty_release_has_its_columns() -> None:
    """A release of no record (every record suppressed, or none consented) still gets its codebook."""
    import pandas as pd

    from ctdata.publish.package import _codebook_md, codebook

    cb = codebook(pd.DataFrame({"sex": pd.Series([], dtype="string")}))
    assert list(cb.columns) == ["column", "type", "hxl", "description", "value", "label", "records"] and cb.empty
    assert _codebook_md(cb).startswith("# Codebook")
