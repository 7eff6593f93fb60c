"""Regenerate src/ctdata/standard/data/m49_regions.csv from the country_converter package.

The UN M49 classification is public (UN Statistics Division, "Standard country or
area codes for statistical use"); country_converter ships it per country. This
script is run by hand when the classification changes; ctdata reads the CSV.
Usage: pip install country_converter && python scripts/make_m49.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import country_converter as coco

SSA = {"Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa"}
LAC = {"Caribbean", "Central America", "South America"}
REGION = {"Africa": "Africa", "America": "Americas", "Asia": "Asia", "Europe": "Europe", "Oceania": "Oceania"}


def main() -> None:
    data = coco.CountryConverter().data
    out = Path(__file__).resolve().parents[1] / "src/ctdata/standard/data/m49_regions.csv"
    rows = []
    for _, r in data.iterrows():
        iso2, unreg, cont = str(r["ISO2"]), str(r["UNregion"]), str(r["continent"])
        if len(iso2) != 2 or unreg in ("nan", "not found"):
            continue
        if unreg in SSA:
            sub, inter = "Sub-Saharan Africa", unreg
        elif unreg in LAC:
            sub, inter = "Latin America and the Caribbean", unreg
        else:
            sub, inter = unreg, ""
        region = REGION.get(cont, cont)
        if unreg == "Northern America":
            region = "Americas"
        rows.append((iso2, int(r["UNcode"]) if str(r["UNcode"]).isdigit() else "", region, sub, inter))
    rows.sort()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["iso2", "m49_code", "region", "sub_region", "intermediate_region"])
        w.writerows(rows)
    print(f"wrote {len(rows)} countries to {out}")


if __name__ == "__main__":
    main()
