"""`simulate()`: a realistic multi-agency data set in the exchange template, with ground truth.

Flow: calibrate corridors to the published figures -> sample persons' years and
corridors -> decide which offices record each person (trimmed to exactly the
requested number of records) -> sample the persons' attributes and names ->
expand to records, each the view of one office -> journeys, assistance and
returns -> write CSVs and the truth file (record_id, person_id).

Everything is drawn from one numpy Generator seeded by `seed`, in a fixed
order, so a seed reproduces the same files byte for byte.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ctdata.errors import CtdataError
from ctdata.simulate.corridors import calibrate
from ctdata.simulate.details import add_details
from ctdata.simulate.journeys import legs_table
from ctdata.simulate.names import load_namebook
from ctdata.simulate.offices import expand, padded_ids, record_columns, sample_layout, trim
from ctdata.simulate.perpetrators import perpetrator_tables
from ctdata.simulate.population import (
    YearTrend,
    expected_records_per_person,
    mean_records_per_person,
    record_sides,
    sample_corridors,
    sample_persons,
)
from ctdata.simulate.projects import write_projects
from ctdata.simulate.services import assistance_table, returns_table
from ctdata.simulate.targets import targets
from ctdata.simulate.writer import template_order, write_table

DEFAULT_YEARS = (2009, 2011)
MAX_RECORDS = 20_000_000
#: The share of the persons a data set needs that is drawn as a balanced sample (sample_corridors).
BALANCED_SHARE = 0.97


@dataclass
class SimulationSummary:
    """What a run produced (returned by simulate(), printed by the CLI)."""

    records: int
    persons: int
    seed: int
    years: tuple[int, int]
    files: dict[str, int] = field(default_factory=dict)  # file name -> rows
    official_crossing_probabilities: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    out: str = ""

    @property
    def records_per_person(self) -> float:
        return self.records / self.persons if self.persons else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["years"] = list(self.years)
        d["records_per_person"] = round(self.records_per_person, 3)
        return d


def _validate(records: int, years: tuple[int, int]) -> None:
    if records < 1:
        raise CtdataError("--records must be at least 1")
    if records > MAX_RECORDS:
        raise CtdataError(f"--records must be at most {MAX_RECORDS:,}")
    first, last = years
    if first > last:
        raise CtdataError(f"year range {first}-{last} is empty")
    if first < 1990 or last > 2100:
        raise CtdataError(f"year range {first}-{last} is outside 1990-2100")


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[str], None]]:
    if not enabled:
        yield lambda _step: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("simulate", total=total)

        def step(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield step


def simulate(
    records: int,
    seed: int,
    out: Path,
    years: tuple[int, int] = DEFAULT_YEARS,
    progress: bool = True,
    trend: YearTrend | None = None,
) -> SimulationSummary:
    """Generate `records` case records for `years` (inclusive) into `out`.

    The last year of the range is calibrated to the published 2011 figures;
    earlier years follow the published trends (see YearTrend).
    """
    _validate(records, years)
    started = time.perf_counter()
    trend = trend or YearTrend()
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CtdataError(f"cannot create {out}: {exc.strerror or exc}") from exc
    rng = np.random.default_rng(seed)
    t = targets()
    with _progress(progress, 8) as step:
        step("calibrating")
        spill = years[1] > years[0]
        rpp = expected_records_per_person(spill)
        corridors = calibrate(t, record_sides(spill, trend))
        book = load_namebook()
        n_candidates = int(records / min(rpp.values()) * 1.1) + 100
        # A balanced block a little short of the persons the records need (their records vary by about
        # 1% at 1,000 persons, less above), then i.i.d. persons; trim() keeps the first that fill them.
        balanced = int(records / mean_records_per_person(corridors, years, trend) * BALANCED_SHARE)
        step("sampling persons")
        year, corridor = sample_corridors(rng, corridors, n_candidates, years, trend, balanced)
        layout = trim(sample_layout(rng, corridors.cross[corridor], spill), records)
        k = len(layout.returned)
        persons = sample_persons(rng, corridors, book, year[:k], corridor[:k], layout.returned, years, trend)
        step("assigning offices")
        recs = expand(rng, persons, layout, years)
        step("writing names and fields")
        columns = record_columns(rng, persons, recs, book)
        record_id = columns["record_id"]
        step("journeys")
        legs, probs = legs_table(rng, persons, recs, record_id, t)
        step("assistance and returns")
        assistance = assistance_table(rng, persons, recs, record_id, t)
        returns = returns_table(rng, persons, recs, record_id)
        add_details(seed, years, persons, recs, columns, assistance, returns)  # its own stream
        truth = {"record_id": record_id, "person_id": padded_ids("P", recs.person + 1)}
        perps, perp_truth = perpetrator_tables(  # its own stream: the tables above stay as they were
            np.random.default_rng([seed, 17]), book, persons.citizenship, persons.exploitation_country,
            persons.child, persons.female, recs.person, record_id)
        step("writing files")
        files = {
            "records.csv": write_table(out / "records.csv", columns, template_order("records")),
            "journey_legs.csv": write_table(out / "journey_legs.csv", legs, template_order("journey_legs")),
            "assistance.csv": write_table(out / "assistance.csv", assistance, template_order("assistance")),
            "returns.csv": write_table(out / "returns.csv", returns, template_order("returns")),
            "truth.csv": write_table(out / "truth.csv", truth, ["record_id", "person_id"]),
            "perpetrators.csv": write_table(out / "perpetrators.csv", perps, template_order("perpetrators")),
            "perpetrators_truth.csv": write_table(out / "perpetrators_truth.csv", perp_truth, list(perp_truth)),
            "projects.csv": write_projects(out, seed, years),
        }
        step("done")
    return SimulationSummary(
        records=len(recs),
        persons=int(np.unique(recs.person).size),
        seed=seed,
        years=tuple(years),
        files=files,
        official_crossing_probabilities={k: round(v, 4) for k, v in probs.items()},
        seconds=round(time.perf_counter() - started, 2),
        out=str(out),
    )
