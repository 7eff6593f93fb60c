"""The release package: what ``--out DIR`` receives.

``records.csv`` (HXL hashtags as its second row), ``records.parquet``,
``records.xlsx``, ``codebook.csv``/``codebook.md`` generated from the standard,
a Frictionless ``datapackage.json``, ``settings.json`` and ``report.json`` (how
to reproduce and check the release), ``README.md`` (method, parameters,
privacy checks or budget, caveats, checksums) and ``manifest.json`` (SHA-256 of
every file). A directory once written is never overwritten, and its files are
made read-only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ctdata.errors import Conflict, ValidationError
from ctdata.publish.guard import refuse_identifiers
from ctdata.standard import cells, vocab
from ctdata.standard.template import RECORD_COLUMNS
from ctdata.store.files import sha256_file

XLSX_MAX_ROWS = 1_048_575
#: columns the publication layer derives that the exchange template does not carry
DERIVED_COLUMNS: dict[str, tuple[str, str, str]] = {
    "registration_year": (
        "Year the office registered the person (or a period, when generalised).",
        "#date+year+registered",
        "integer",
    ),
    "child": ("Under 18 at exploitation when known, else at registration.", "#affected+child", "boolean"),
}
CAVEATS = (
    "Only assisted or reported cases are counted: the data say nothing about trafficking that no agency saw.",
    "One person may appear in records of several offices or agencies (instances of assistance, "
    "not individuals), and programme coverage shifts between years and countries.",
    "Only records whose consent allows research use (and records imported from public releases) are included.",
)


def _column_info(name: str) -> dict[str, Any]:
    col = next((c for c in RECORD_COLUMNS if c.name == name), None)
    if col is not None:
        ftype = {"int": "integer", "bool": "boolean"}.get(col.kind, "string")
        return {
            "description": col.description,
            "hxl": col.hxl or f"#meta+{name.replace('_', '')}",
            "type": ftype,
            "vocabulary": col.vocabulary,
        }
    desc, hxl, ftype = DERIVED_COLUMNS.get(
        name, (name.replace("_", " ").capitalize() + ".", f"#meta+{name.replace('_', '')}", "string")
    )
    return {"description": desc, "hxl": hxl, "type": ftype, "vocabulary": None}


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    order = ["registration_year"] + [c.name for c in RECORD_COLUMNS] + ["child"]
    cols = [c for c in order if c in df.columns] + [c for c in df.columns if c not in order]
    return df[cols]


def _released_type(series: pd.Series, declared: str) -> str:
    """The declared type, unless generalised labels made the column text."""
    if declared == "integer" and not pd.api.types.is_integer_dtype(series):
        return "string"
    if declared == "boolean" and not pd.api.types.is_bool_dtype(series):
        return "string"
    return declared


def _label(name: str, value: Any, vocabulary: vocab.Vocabulary | None) -> str:
    if value == "*":
        return "Suppressed (generalised to any value)"
    if vocabulary is not None and value in vocabulary:
        return vocabulary.label(value)
    if name in ("citizenship", "country_of_exploitation", "office_country") and isinstance(value, str):
        from ctdata.standard.countries import name as country_name

        return country_name(value) if len(value) == 2 else f"{value} (region: generalised)"
    return str(value)


def codebook(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name in df.columns:
        info = _column_info(name)
        counts = df[name].astype("string").value_counts(dropna=False)
        for value, count in counts.items():
            v = "" if pd.isna(value) else str(value)
            rows.append(
                {
                    "column": name,
                    "type": _released_type(df[name], info["type"]),
                    "hxl": info["hxl"],
                    "description": info["description"],
                    "value": v,
                    "label": "Unknown (missing)" if v == "" else _label(name, v, info["vocabulary"]),
                    "records": int(count),
                }
            )
    # the columns named even when no record is released (an empty release still has a codebook)
    return pd.DataFrame(rows, columns=["column", "type", "hxl", "description", "value", "label", "records"])


def _codebook_md(cb: pd.DataFrame) -> str:
    out = ["# Codebook", "", "Generated from the ctdata case data standard. Empty value = unknown.", ""]
    for name, g in cb.groupby("column", sort=False):
        first = g.iloc[0]
        out += [
            f"## `{name}`",
            "",
            f"{first['description']}  ",
            f"Type: {first['type']}; HXL: `{first['hxl']}`",
            "",
            "| value | label | records |",
            "|---|---|---|",
        ]
        out += [f"| `{r.value}` | {r.label} | {r.records} |" for r in g.head(300).itertuples()]
        if len(g) > 300:
            out.append(f"| ... | {len(g) - 300} more values in codebook.csv | |")
        out.append("")
    return "\n".join(out)


def _csv_with_hxl(df: pd.DataFrame, path: Path) -> None:
    buf = io.StringIO()
    w = cells.writer(buf, lineterminator="\n")
    w.writerow(list(df.columns))
    w.writerow([_column_info(c)["hxl"] for c in df.columns])
    out = df.astype(object).where(df.notna(), "")
    out = out.map(lambda v: "true" if v is True else "false" if v is False else v)
    w.writerows(out.itertuples(index=False, name=None))
    path.write_text(buf.getvalue(), encoding="utf-8")


def _datapackage(df: pd.DataFrame, meta: dict[str, Any], cb: pd.DataFrame) -> dict[str, Any]:
    fields = []
    for name in df.columns:
        info = _column_info(name)
        ftype = _released_type(df[name], info["type"])
        f: dict[str, Any] = {
            "name": name,
            "type": ftype,
            "description": info["description"],
            "hxl": info["hxl"],
        }
        values = [v for v in cb.loc[cb["column"] == name, "value"] if v != ""]
        if ftype == "string" and len(values) <= 500:
            f["constraints"] = {"enum": sorted(values)}
        fields.append(f)
    resources = []
    for path, fmt, media in (
        ("records.csv", "csv", "text/csv"),
        ("records.parquet", "parquet", "application/vnd.apache.parquet"),
        ("records.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        r: dict[str, Any] = {
            "name": f"records-{fmt}",
            "path": path,
            "profile": "tabular-data-resource",
            "format": fmt,
            "mediatype": media,
            "schema": {"fields": fields, "missingValues": [""]},
        }
        if fmt == "csv":
            r["encoding"] = "utf-8"
            # Table Dialect: row 1 is the header, row 2 carries the HXL hashtags
            r["dialect"] = {"header": True, "headerRows": [1], "commentRows": [2]}
        resources.append(r)
    resources.append(
        {
            "name": "codebook",
            "path": "codebook.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
        }
    )
    return {
        "profile": "tabular-data-package",
        "name": meta["release_id"].lower(),
        "title": meta["title"],
        "version": meta["version"],
        "created": meta["created"],
        "description": meta["method_summary"],
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "contributors": [{"title": "ctdata", "role": "author"}],
        "resources": resources,
    }


def _readme(meta: dict[str, Any], settings: dict[str, Any], report: dict[str, Any], files: dict[str, str]) -> str:
    lines = [
        f"# {meta['title']}",
        "",
        f"Release `{meta['release_id']}`, version {meta['version']}, created {meta['created']} "
        f"({meta['rows']} records).",
        "",
        "## Method",
        "",
        meta["method_summary"],
        "",
    ]
    lines += [
        "## Parameters",
        "",
        "```json",
        json.dumps(settings, indent=2, sort_keys=True, default=str),
        "```",
        "",
    ]
    if "privacy" in report:
        p = report["privacy"]
        lines += [
            "## Privacy budget",
            "",
            f"epsilon = {p['epsilon']:.4g}, delta = {p['delta']:.3g} "
            f"(zCDP rho = {p['rho']:.5g}); unit of privacy: {p['unit']}.",
            "",
        ]
    if "checks" in report:
        c = report["checks"]
        k = c["k_anonymity"]
        lines += [
            "## Disclosure checks",
            "",
            f"- k-anonymity: k = {k['k']}, smallest class {k['smallest_class']}, "
            f"{'passed' if k['k_anonymous'] else 'FAILED'}",
            f"- prosecutor re-identification risk: max {c['prosecutor_risk']['max']:.4f}, "
            f"average {c['prosecutor_risk']['average']:.4f}, share of records above "
            f"{c['prosecutor_risk']['threshold']}: {c['prosecutor_risk']['share_at_risk']:.4f}",
        ]
        for s, v in c.get("l_diversity", {}).items():
            lines.append(
                f"- distinct l-diversity of `{s}`: l = {v['l']} ({v['records_in_l_1_classes']} "
                "records in classes with one value)"
            )
        il = report.get("information_loss", {})
        if il:
            lines.append(
                f"- records kept: {report.get('share_kept', 0):.2%}; information loss (LM): {il['loss_metric']:.4f}"
            )
        lines.append("")
    if "evaluation" in report:
        ev = report["evaluation"]
        lines += [
            "## Utility (computed on the confidential data; aggregate figures only)",
            "",
            "| marginals | mean TVD | max TVD | real combinations missing | fabricated combinations |",
            "|---|---|---|---|---|",
        ]
        for k, v in ev["tvd"].items():
            cmb = ev["combinations"][k]
            lines.append(
                f"| {k}-way | {v:.4f} | {ev['tvd_max'][k]:.4f} | {cmb['suppressed_share']:.2%} | "
                f"{cmb['fabricated_share']:.2%} |"
            )
        lines.append("")
    if "generalisation" in report:
        lines += _generalisation_lines(report)
    if meta.get("tables"):
        lines += ["## Aggregate tables", ""]
        lines += [f"- `{name}`: {what}" for name, what in meta["tables"].items()]
        lines.append("")
    lines += ["## Caveats", ""] + [f"- {c}" for c in CAVEATS + tuple(meta.get("caveats", ()))] + [""]
    lines += ["## Files and SHA-256 checksums", "", "| file | sha256 |", "|---|---|"]
    lines += [f"| {f} | `{h}` |" for f, h in sorted(files.items())]
    lines += ["", "`manifest.json` lists these and the checksum of this README.", ""]
    return "\n".join(lines)


def _generalisation_lines(report: dict[str, Any]) -> list[str]:
    """Per column: what was generalised and how many records it touched; then the errors over the
    original (ungeneralised) values and of the derived shares."""
    g = report["generalisation"]
    lines = [
        "## Generalisation per column",
        "",
        "A value was lumped when its noisy count was below the threshold (the noise alone could have made "
        "it up). Group labels name a region or period: 'other countries of' that region, never one kept "
        "separately. Shares are of records with a known value (computed on the confidential data).",
        "",
        "| column | values kept | lumping threshold (noisy count) | groups released | records generalised |",
        "|---|---|---|---|---|",
    ]
    for col, c in g["columns"].items():
        groups = "; ".join(
            f"{label}: {m if isinstance(m, str) else ', '.join(str(v) for v in m)}"
            for label, m in c["released_groups"].items()
        ) or "none"
        lines.append(f"| {col} | {c['values_kept']} | {c['threshold_noisy_count']} | {groups} | "
                     f"{c['records_generalised_share']:.2%} |")
    lines += [
        "",
        f"Records whose country (citizenship or country of exploitation) was generalised: "
        f"{g['records_country_generalised_share']:.2%}; whose year was: {g['records_year_generalised_share']:.2%}.",
        "",
    ]
    ev = report.get("evaluation_original")
    if ev:
        lines += [
            "Errors over the original values (a generalised label counts as a miss):",
            "",
            "| marginals | mean TVD | max TVD |",
            "|---|---|---|",
        ]
        lines += [f"| {k}-way | {v:.4f} | {ev['tvd_max'][k]:.4f} |" for k, v in ev["tvd"].items()]
        lines.append("")
    for name, d in report.get("derived_facts", {}).items():
        lines.append(f"- {name.replace('_', '-')} share: real {d['real']:.3f}, synthetic {d['synthetic']:.3f} "
                     f"(difference {d['difference']:+.3f})")
    lines.append("")
    return lines


def write_release(
    df: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    release_id: str,
    kind: str,
    title: str,
    settings: dict[str, Any],
    report: dict[str, Any],
    method_summary: str,
    version: int = 1,
    caveats: tuple[str, ...] = (),
    tables: dict[str, tuple[pd.DataFrame, str]] | None = None,
) -> dict[str, Any]:
    """Write an immutable release directory; returns its manifest.

    ``tables``: aggregate tables released beside the records, file name (``<name>.csv``)
    -> (the table, one sentence on what it counts and what was withheld); already
    suppressed by the caller.
    """
    refuse_identifiers(df.columns)
    tables = dict(tables or {})
    for name, (table, _) in tables.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*\.csv", name) or name.startswith("records") or name.startswith("codebook"):
            raise ValidationError(f"aggregate table file name {name!r} is not allowed")
        refuse_identifiers(table.columns)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise Conflict(f"{out} already holds a release; releases are immutable, choose a new directory")
    if len(df.columns) == 0:
        raise ValidationError("nothing to release: no columns")
    out.mkdir(parents=True, exist_ok=True)
    df = _ordered(df).reset_index(drop=True)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta = {
        "release_id": release_id,
        "kind": kind,
        "title": title,
        "version": version,
        "created": created,
        "rows": len(df),
        "method_summary": method_summary,
        "caveats": caveats,
    }

    _csv_with_hxl(df, out / "records.csv")
    pq = df.copy()
    for c in pq.columns:
        if pq[c].dtype == object:
            pq[c] = pq[c].astype("string")
    pq.to_parquet(out / "records.parquet", index=False)
    for name, (table, _) in sorted(tables.items()):
        cells.safe_frame(table).to_csv(out / name, index=False)
    meta["tables"] = {name: what for name, (_, what) in sorted(tables.items())}
    if len(df) <= XLSX_MAX_ROWS:
        cells.safe_frame(pq).to_excel(out / "records.xlsx", index=False, sheet_name="records")
    else:
        meta["caveats"] = tuple(caveats) + ("records.xlsx omitted: more rows than a worksheet holds.",)
    cb = codebook(df)
    cells.safe_frame(cb).to_csv(out / "codebook.csv", index=False)
    (out / "codebook.md").write_text(_codebook_md(cb), encoding="utf-8")
    (out / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True, default=str), encoding="utf-8")
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True, default=str), encoding="utf-8")
    dp = _datapackage(df, meta, cb)
    for name, (table, what) in sorted(tables.items()):
        dp["resources"].append(
            {
                "name": name.removesuffix(".csv").replace("_", "-"),
                "path": name,
                "description": what,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": str(c), "type": "integer" if pd.api.types.is_integer_dtype(table[c]) else "string"}
                        for c in table.columns
                    ]
                },
            }
        )
    if not (out / "records.xlsx").exists():
        dp["resources"] = [r for r in dp["resources"] if r["path"] != "records.xlsx"]
    files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.is_file()}
    for r in dp["resources"]:
        r["hash"] = f"sha256:{files[r['path']]}"
        r["bytes"] = (out / r["path"]).stat().st_size
    (out / "datapackage.json").write_text(json.dumps(dp, indent=2), encoding="utf-8")
    files["datapackage.json"] = sha256_file(out / "datapackage.json")
    (out / "README.md").write_text(_readme(meta, settings, report, files), encoding="utf-8")
    files["README.md"] = sha256_file(out / "README.md")
    manifest = {
        "release_id": release_id,
        "kind": kind,
        "version": version,
        "created": created,
        "rows": len(df),
        "files": {f: {"sha256": h, "bytes": (out / f).stat().st_size} for f, h in sorted(files.items())},
    }
    manifest["digest"] = hashlib.sha256(json.dumps(manifest["files"], sort_keys=True).encode()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    for p in out.iterdir():
        p.chmod(0o444)
    return manifest


def verify_release(out_dir: str | os.PathLike) -> list[str]:
    """Files whose checksum no longer matches the manifest (empty when intact)."""
    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    bad = [f for f, m in manifest["files"].items() if not (out / f).exists() or sha256_file(out / f) != m["sha256"]]
    extra = [p.name for p in out.iterdir() if p.name not in manifest["files"] and p.name != "manifest.json"]
    return bad + extra
