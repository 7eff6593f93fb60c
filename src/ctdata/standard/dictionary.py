"""The data dictionary, generated from the template, the models and the vocabularies.

Documentation written by hand drifts from the code; this one cannot, because
it is read off the same definitions the importers validate against.
"""

from __future__ import annotations

import io
import json
from typing import Any

from ctdata.standard.cells import SafeDictWriter, writer
from ctdata.standard.models import ENTITY_MODELS
from ctdata.standard.template import TABLES
from ctdata.standard.vocab import ALL_VOCABULARIES

#: the entity fields that identify a person: the template's identifying columns of a record (one rule:
#: the template's ``identifying`` flag, which the store's encryption and the release guard also read)
_PERSON_IDENTIFYING = {c.name for c in TABLES["records"] if c.identifying}


def entries() -> list[dict[str, Any]]:
    """One row per field: template tables first, then entity models."""
    rows: list[dict[str, Any]] = []
    for table, cols in TABLES.items():
        for c in cols:
            rows.append({
                "table": table,
                "field": c.name,
                "type": c.kind,
                "required": c.required,
                "identifying": c.identifying,
                "vocabulary": c.vocabulary.name if c.vocabulary else "",
                "codes": ";".join(c.vocabulary.codes) if c.vocabulary else "",
                "hxl": c.hxl,
                "description": c.description,
            })
    for entity, model in ENTITY_MODELS.items():
        for name, f in model.model_fields.items():
            rows.append({
                "table": f"entity:{entity}",
                "field": name,
                "type": str(f.annotation).replace("typing.", ""),
                "required": f.is_required(),
                "identifying": name in _PERSON_IDENTIFYING,
                "vocabulary": "",
                "codes": "",
                "hxl": "",
                "description": f.description or "",
            })
    return rows


def vocabularies() -> list[dict[str, Any]]:
    return [{"name": v.name, "description": v.description, "terms": dict(v.terms)} for v in ALL_VOCABULARIES]


def render(fmt: str) -> str:
    rows = entries()
    if fmt == "json":
        return json.dumps({"fields": rows, "vocabularies": vocabularies()}, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        w = SafeDictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "markdown":
        out = ["# ctdata data dictionary", "",
               "Generated from the standard's definitions (`ctdata standard dictionary`). "
               "Fields marked identifying are encrypted at rest and never leave the case store.", ""]
        current = None
        for r in rows:
            if r["table"] != current:
                current = r["table"]
                out += ["", f"## {current}", "", "| field | type | required | identifying | codes | description |",
                        "|---|---|---|---|---|---|"]
            codes = f"`{r['vocabulary']}`" if r["vocabulary"] else ""
            out.append(f"| `{r['field']}` | {r['type']} | {'yes' if r['required'] else ''} | "
                       f"{'yes' if r['identifying'] else ''} | {codes} | {r['description']} |")
        out += ["", "## Vocabularies", ""]
        for v in ALL_VOCABULARIES:
            out += [f"### `{v.name}`", "", v.description, "", "| code | label |", "|---|---|"]
            out += [f"| `{code}` | {label} |" for code, label in v.terms.items()]
            out.append("")
        return "\n".join(out) + "\n"
    raise ValueError(f"unknown format {fmt!r} (markdown, csv or json)")


def template_csv(table: str = "records") -> str:
    """An empty template with the header row and the HXL row, for partners to fill in."""
    cols = TABLES[table]
    buf = io.StringIO()
    w = writer(buf)
    w.writerow([c.name for c in cols])
    return buf.getvalue()
