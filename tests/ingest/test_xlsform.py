"""The generated XLSForm: pyxform (and ODK Validate) convert it cleanly in all four languages, its choices
are the standard's codes, the child rule skips the means, and every label comes from the label table."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from ctdata.ingest import xlsform
from ctdata.screening.ages import ADULT_AGE
from ctdata.standard import vocab


def _save(sheets: dict[str, list[list[str]]], path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def xform(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    [path] = xlsform.write_xlsform(tmp_path_factory.mktemp("form"))
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings, validate=True)  # validate: ODK Validate (Java) too
    return result.xform, warnings


def test_converts_without_warnings(xform: tuple[str, list[str]]) -> None:
    _xml, warnings = xform
    assert warnings == []


def _texts(xml: str, language: str) -> dict[str, str]:
    """Text id -> value of one language of an XForm (pyxform writes "-" for a missing label)."""
    blocks = dict(re.findall(r'<translation lang="([^"]+)"[^>]*>(.*?)</translation>', xml, flags=re.S))
    return dict(re.findall(r'<text id="([^"]+)">\s*<value>(.*?)</value>', blocks[language], flags=re.S))


def _untranslated(xml: str) -> dict[str, list[str]]:
    english = _texts(xml, xlsform.DEFAULT_LANGUAGE)
    out = {}
    for code, name in xlsform.LANGUAGES:
        here = _texts(xml, f"{name} ({code})")
        out[code] = sorted(k for k in english if here.get(k, "").strip() in ("", "-"))
    return out


def test_every_text_is_translated(xform: tuple[str, list[str]]) -> None:
    xml, _ = xform
    langs = re.findall(r'<translation lang="([^"]+)"', xml)
    assert langs == [f"{n} ({c})" for c, n in xlsform.LANGUAGES]
    assert len(_texts(xml, xlsform.DEFAULT_LANGUAGE)) > 90
    assert _untranslated(xml) == {code: [] for code, _ in xlsform.LANGUAGES}
    # a translation that is the English text word for word is a row someone forgot to translate
    english = _texts(xml, xlsform.DEFAULT_LANGUAGE)
    for code, name in xlsform.LANGUAGES[1:]:
        here = _texts(xml, f"{name} ({code})")
        same = sum(here[k] == english[k] for k in english)
        assert same <= 6, (code, [english[k] for k in english if here[k] == english[k]])


def test_a_missing_translation_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a blank Arabic label comes out as pyxform's "-" placeholder."""
    sheets = xlsform.sheets()
    head = sheets["survey"][0]
    row = next(r for r in sheets["survey"] if r[1] == "agency")
    row[head.index("label::العربية (ar)")] = ""
    xml = convert(str(_save(sheets, tmp_path / "f.xlsx"))).xform
    missing = _untranslated(xml)
    assert len(missing["ar"]) == 1 and missing["ar"][0].endswith("/registration/agency:label")
    assert missing["fr"] == missing["es"] == []


def test_choices_are_the_standards_codes() -> None:
    choices = xlsform.sheets()["choices"]
    lists: dict[str, list[str]] = {}
    for row in choices[1:]:
        lists.setdefault(row[0], []).append(row[1])
    for q in xlsform.SURVEY:
        if q.vocabulary is not None and q.vocabulary is not xlsform.YES_NO:
            assert lists[q.vocabulary.name] == vocab.VOCABULARIES[q.vocabulary.name].codes
    assert {q.name for q in xlsform.SURVEY if q.vocabulary is vocab.MEANS} == {"means"}


def test_child_rule_skips_the_means(xform: tuple[str, list[str]]) -> None:
    xml, _ = xform
    means = re.search(r'<bind nodeset="[^"]*/means"[^>]*>', xml).group(0)  # type: ignore[union-attr]
    assert re.search(r"relevant=\"\s*/\S+/is_child\s*!= 'yes'\"", means), means
    child = re.search(r'<bind[^>]*nodeset="[^"]*/is_child"[^>]*>', xml).group(0)  # type: ignore[union-attr]
    assert f"&lt; {ADULT_AGE}" in child
    vul = re.search(r'<bind nodeset="[^"]*/vulnerabilities"[^>]*>', xml).group(0)  # type: ignore[union-attr]
    assert "unaccompanied_child" in vul and f"&gt;= {ADULT_AGE}" in vul


def test_journey_legs_are_a_repeat(xform: tuple[str, list[str]]) -> None:
    xml, _ = xform
    assert re.search(r'<repeat nodeset="/[^"]+/journey_legs"', xml)
    assert xlsform.REPEAT_QUESTIONS[0] == "leg_number"


def test_label_table_has_no_unused_rows() -> None:
    used = set()
    for q in xlsform.SURVEY:
        if q.labelled:
            used.add(f"question.{q.name}")
        if q.hint:
            used.add(f"hint.{q.name}")
        if q.constraint_message:
            used.add(f"constraint.{q.constraint_message}")
    for v in xlsform.vocabularies():
        used |= {f"choice.{v.name}.{c}" for c in v.codes}
    assert set(xlsform.labels()) == used


def test_cli_writes_the_form(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ctdata.cli.app import app

    res = CliRunner().invoke(app, ["forms", "xlsform", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"{xlsform.FORM_ID}.xlsx").exists()
