"""`ctdata link ...`: person clusters, export, the review queue, explanations and evaluation.

ctdata link [--threshold T] [--backend duckdb|spark] [--json]
ctdata link export --csv PATH
ctdata link review list [--json]
ctdata link review decide PAIR_ID match|not_match|unsure --reason TEXT --by USER [--password-stdin]
ctdata link explain PAIR_ID
ctdata link evaluate --truth truth.csv --out DIR [--json]

A decision is made by a user account: `--by USER` is checked with USER's
password (asked for, or one line of stdin with `--password-stdin`); the rules
are those of `ctdata.linkage.flows`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.cli.user import PasswordStdinOpt, login
from ctdata.errors import CtdataError
from ctdata.linkage.settings import BACKENDS, LinkageSettings

app = typer.Typer(
    invoke_without_command=True,
    help="Link case records into individuals (person clusters); review uncertain pairs; evaluate.",
)
review_app = typer.Typer(no_args_is_help=True, help="The review queue of uncertain pairs.")
app.add_typer(review_app, name="review")
_LINKAGE = LinkageSettings()


@app.callback()
def link(
    ctx: typer.Context,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Match probability at or above which two records are one person. Reviewers' decisions"
            " are forced and forbidden links; with the linkage setting review_calibration_min above 0"
            " (off by default), that many decisions calibrate the probabilities and the threshold is"
            " chosen from them instead."
        ),
    ] = _LINKAGE.threshold,
    backend: Annotated[str, typer.Option(help=" or ".join(BACKENDS) + ".")] = _LINKAGE.backend,
    as_json: JsonOpt = False,
) -> None:
    """Link every case record in the store into individuals (stable ids across runs)."""
    if ctx.invoked_subcommand is not None:
        return
    from ctdata.linkage.pipeline import link_store

    res = link_store(threshold=threshold, backend=backend, progress=not as_json)
    if as_json:
        emit_json(res)
        return
    console.print(
        f"[bold]{res['records']:,} case records -> {res['individuals']:,} individuals[/bold]"
        f" at threshold {res['threshold']} ({res['pairs']:,} scored pairs, {res['seconds']} s)"
    )
    if res["uncertain"]:
        console.print(
            f"{res['uncertain']:,} uncertain pairs wait for review: `ctdata link review list` "
            "or the web app's Linkage review page."
        )


@app.command("perpetrators")
def link_perpetrators(as_json: JsonOpt = False) -> None:
    """De-duplicate perpetrator rows into persons (linkage engine, then same phone or document number);
    the network analysis (`ctdata report networks`) links victims through these persons."""
    from ctdata.linkage.perpetrators import link_store

    res = link_store()
    if as_json:
        emit_json(res)
        return
    console.print(f"[bold]{res['rows']:,} perpetrator rows -> {res['perpetrators']:,} perpetrators[/bold] "
                  f"({res['path']})")


@app.command("export")
def export(
    csv_path: Annotated[Path, typer.Option("--csv", help="Where to write record_id,individual_id.")],
    as_json: JsonOpt = False,
) -> None:
    """Write record_id (as imported), individual_id for every linked case record."""
    from ctdata.linkage.pipeline import export_csv

    res = export_csv(csv_path)
    if as_json:
        emit_json(res)
        return
    console.print(f"wrote {res['rows']:,} records of {res['individuals']:,} individuals to {res['path']}")
    if res["not_linked"]:
        console.print(
            f"[yellow]note:[/yellow] {res['not_linked']:,} records imported since the last run are "
            "not linked yet: run `ctdata link`."
        )


@review_app.command("list")
def review_list(
    status: Annotated[str, typer.Option(help="open, decided, dropped or all.")] = "open",
    limit: Annotated[int, typer.Option(help="At most this many pairs.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Pairs in the uncertain band, most uncertain first."""
    from ctdata.cases.access import SYSTEM
    from ctdata.linkage.review_store import list_pairs
    from ctdata.store import db

    if status not in ("open", "decided", "dropped", "all"):
        raise CtdataError("--status must be open, decided, dropped or all")
    with db.session_scope() as s:
        pairs = list_pairs(s, SYSTEM, status=status, limit=limit)
    if as_json:
        emit_json(pairs)
        return
    if not pairs:
        console.print(f"no {status if status != 'all' else ''} pairs in the review queue".replace("  ", " "))
        return
    t = Table("pair", "case", "case", "probability", "weight", "status", "decision", title="Review queue")
    for p in pairs:
        t.add_row(
            str(p["pair_id"]),
            str(p["case_id_l"]),
            str(p["case_id_r"]),
            f"{p['match_probability']:.3f}",
            f"{p['match_weight']:+.2f}",
            p["status"],
            p["decision"] or "",
        )
    console.print(t)
    console.print(
        "Decide with `ctdata link review decide PAIR match|not_match|unsure --reason TEXT --by USER`; "
        "see why with `ctdata link explain PAIR`."
    )


@review_app.command("decide")
def review_decide(
    pair_id: Annotated[int, typer.Argument(help="Pair id from `ctdata link review list`.")],
    decision: Annotated[str, typer.Argument(help="match, not_match or unsure.")],
    reason: Annotated[str, typer.Option(help="Why (kept with the label and in the audit log).")],
    by: Annotated[str, typer.Option("--by", help="Your user account (its password is checked; audited).")],
    recluster: Annotated[bool, typer.Option(help="Apply the decision to the clusters now.")] = True,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Decide a pair (a data manager's account); the label overrides the model and the clusters are updated."""
    from ctdata.linkage.flows import decide_pair

    res = decide_pair(login(by, password_stdin), pair_id, decision, reason, recluster=recluster)
    if as_json:
        emit_json(res)
        return
    same = "the same individual" if res["same_individual"] else "different individuals"
    console.print(f"pair {pair_id}: {decision} (by {by}); the two records are now {same}")
    if "recluster" in res:
        r = res["recluster"]
        console.print(f"{r['records']:,} records -> {r['individuals']:,} individuals")


@app.command("explain")
def explain_cmd(
    pair_id: Annotated[int, typer.Argument(help="Pair id from `ctdata link review list`.")],
    as_json: JsonOpt = False,
) -> None:
    """Why a pair scored as it did: the match weight of each comparison (a waterfall)."""
    from ctdata.linkage.review_store import explain_pair

    w = explain_pair(pair_id)
    if as_json:
        emit_json(
            {
                "pair_id": pair_id,
                "match_probability": w.attrs.get("match_probability"),
                "steps": w.to_dict(orient="records"),
            }
        )
        return
    t = Table("comparison", "level", "weight", "cumulative", "probability", title=f"Why pair {pair_id}")
    for r in w.itertuples():
        colour = "green" if r.match_weight > 0 else ("red" if r.match_weight < 0 else "white")
        t.add_row(
            str(r.comparison),
            str(r.level),
            f"[{colour}]{r.match_weight:+.2f}[/{colour}]",
            f"{r.cumulative:+.2f}",
            f"{r.probability:.3f}",
        )
    console.print(t)


@app.command("evaluate")
def evaluate_cmd(
    truth: Annotated[Path, typer.Option(help="Ground truth CSV with record_id,person_id (from `ctdata simulate`).")],
    out: Annotated[Path, typer.Option(help="Folder for the evaluation report.")] = Path("linkage-evaluation"),
    as_json: JsonOpt = False,
) -> None:
    """Precision, recall and F1 of pairs and clusters, the error in the count of individuals, a threshold curve."""
    from ctdata.linkage.pipeline import evaluate_against_truth

    res = evaluate_against_truth(truth, out)
    if as_json:
        emit_json(res)
        return
    t = Table("measure", "pairs", "clusters", title=f"Linkage against {truth.name}")
    t.add_row("precision", f"{res['pair_precision']:.3f}", f"{res['cluster_precision']:.3f}")
    t.add_row("recall", f"{res['pair_recall']:.3f}", f"{res['cluster_recall']:.3f}")
    t.add_row("F1", f"{res['pair_f1']:.3f}", f"{res['cluster_f1']:.3f}")
    console.print(t)
    console.print(
        f"individuals: {res['individuals_predicted']:,} linked vs {res['individuals_true']:,} true "
        f"({res['individuals_error']:+.1%}); counting records would say {res['records']:,} "
        f"({res['records_overstatement']:+.1%})"
    )
    console.print(f"report: {res['paths']['html']}")
