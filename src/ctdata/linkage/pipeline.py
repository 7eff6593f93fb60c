"""Linkage of the case store: person clusters for every case record, the review queue, export, evaluation.

    link_store()            link every record, keep ids stable, queue uncertain pairs
    recluster_store()       apply reviewers' labels to the last run's scores (no retraining)
    export_csv(path)        record_id,individual_id
    evaluate_against_truth  precision/recall/F1 against a simulator's truth file and the labels

The engine (`engine.link_frame`) works on a features table; this module is
the glue to the store: it reads and decrypts person fields in memory, hands
them over, and writes back only pseudonymous results (record keys, individual
ids, scores). The warehouse gets `individuals.parquet` (record_key,
individual_id), which analytics joins to count individuals beside instances.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from ctdata.config import settings as app_settings
from ctdata.errors import CtdataError, FileFormatError
from ctdata.linkage import cluster, evaluate, review
from ctdata.linkage.engine import Linker, link_frame
from ctdata.linkage.outputs import INDIVIDUALS_FILE, forget_erased
from ctdata.linkage.settings import LinkageSettings
from ctdata.linkage.store_io import (
    StoreRecords,
    last_run,
    load_labels,
    load_mapping,
    load_scores,
    read_records,
    save_mapping,
    save_queue,
    save_scores,
)
from ctdata.standard import cells
from ctdata.store import audit, db
from ctdata.store.models import CaseRecord, IndividualLink, LinkReviewPair, LinkRun

CURVE_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


class NotLinked(CtdataError):
    """No linkage run yet."""


def _not_linked() -> NotLinked:
    return NotLinked("no linkage yet: run `ctdata link` first")


@contextmanager
def _step(label: str, enabled: bool) -> Iterator[None]:
    """A spinner on stderr while a step runs; Splink's training chatter is held back meanwhile.

    Splink warns about comparison levels it cannot train (normal on small or
    partial data); those are not the user's to act on, so only errors get through.
    """
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(max(level, logging.ERROR))
    try:
        if not enabled:
            yield
            return
        from rich.console import Console

        with Console(stderr=True).status(label):
            yield
    finally:
        splink_log.setLevel(level)


def _singletons(keys: pd.Series, previous: pd.DataFrame | None, id_key: str) -> pd.DataFrame:
    """Each record its own individual (anonymised public-release rows cannot be linked)."""
    frame = pd.DataFrame({"record_key": keys.astype(str).to_numpy(), "cluster": range(len(keys))})
    return cluster.assign_individual_ids(frame, previous, key=id_key)


def _write_individuals(mapping: pd.DataFrame, root: Path | None = None) -> Path:
    """<warehouse>/individuals.parquet, replaced atomically (readers see the old or the new file)."""
    root = Path(root or app_settings().warehouse_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / INDIVIDUALS_FILE
    table = pa.table(
        {
            "record_key": pa.array(mapping["record_key"].astype(str).tolist(), pa.string()),
            "individual_id": pa.array(mapping["individual_id"].astype(str).tolist(), pa.string()),
        }
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return path


def _digest(mapping: pd.DataFrame) -> str:
    return audit.digest_ids(f"{k}:{i}" for k, i in zip(mapping["record_key"], mapping["individual_id"], strict=True))


def _settings_for(threshold: float | None, backend: str) -> LinkageSettings:
    s = LinkageSettings(backend=backend)
    return s if threshold is None else replace(s, threshold=threshold)


def link_store(
    threshold: float | None = None,
    backend: str = "duckdb",
    progress: bool = True,
    actor: str = "cli",
    settings: LinkageSettings | None = None,
) -> dict[str, Any]:
    """Link every case record in the store into individuals and queue the uncertain pairs for review.

    Previous individual ids are kept for clusters that did not change; reviewers'
    labels override the model. Returns records, individuals, pairs, uncertain, seconds.
    """
    t0 = time.perf_counter()
    s = settings or _settings_for(threshold, backend)
    if settings is not None and threshold is not None:
        s = replace(s, threshold=threshold)
    eng = db.upgrade()
    with _step("Reading case records", progress), db.session_scope(eng) as session:
        recs = read_records(session)
        previous = load_mapping(session)
        labels = load_labels(session)
    if recs.features.empty:
        raise CtdataError("the case store has no case records: import some first (`ctdata import standard FILE`)")
    linkable = recs.linkable
    with _step(f"Linking {int(linkable.sum()):,} records", progress):
        result = link_frame(recs.features[linkable].reset_index(drop=True), s, previous, labels)
    mapping = pd.concat(
        [result.clusters, _singletons(recs.features.loc[~linkable, "record_key"], previous, s.id_key)],
        ignore_index=True,
    )
    queue = result.review.pairs
    seconds = time.perf_counter() - t0
    with _step("Saving clusters", progress), db.session_scope(eng) as session:
        run = LinkRun(
            kind="link",
            actor=actor,
            backend=s.backend,
            threshold=result.threshold,
            settings=s.to_dict(),
            model=result.model or {},
            features_used=list(result.features_used),
            records=len(mapping),
            individuals=int(mapping["individual_id"].nunique()),
            pairs=len(result.pairs),
            digest=_digest(mapping),
            seconds=round(seconds, 2),
        )
        session.add(run)
        session.flush()
        save_mapping(session, mapping, recs.meta, run.id)
        save_scores(session, result.pairs, run.id)
        run.uncertain = save_queue(session, queue, recs.meta, run.id)
        out = _summary(run, seconds)
        audit.record(
            session,
            actor=actor,
            action="link",
            entity="linkage",
            entity_id=run.id,
            details={
                **out,
                "threshold": result.threshold,
                "backend": s.backend,
                "features": list(result.features_used),
                "labels": int(len(review.normalise_labels(labels))),
                # the fit of the probabilities on reviewed pairs, when there were enough of them
                "calibration": result.calibration,
                # what the block caps did: rules capped, block pairs before and after, pairs dropped
                "blocking": result.blocking,
                "digest": run.digest,
            },
        )
    _write_individuals(mapping)
    with db.session_scope(eng) as session:
        forget_erased(session)  # a person erased while this ran
    return out


def _summary(run: LinkRun, seconds: float) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "records": run.records,
        "individuals": run.individuals,
        "pairs": run.pairs,
        "uncertain": run.uncertain,
        "threshold": run.threshold,
        "seconds": round(seconds, 2),
    }


def _run_settings(run: LinkRun) -> LinkageSettings:
    return LinkageSettings.from_dict(dict(run.settings or {}))


def recluster_store(actor: str = "cli", progress: bool = False, eng: Engine | None = None) -> dict[str, Any]:
    """Cluster again from the last run's scores with the current labels (seconds, no retraining).

    This is what makes a reviewer's decision count at once: after 'not_match'
    the two records can no longer share an individual, after 'match' they do.
    Records imported since the last `ctdata link` stay on their own until the next run.
    """
    t0 = time.perf_counter()
    eng = eng or db.upgrade()
    with db.session_scope(eng) as session:
        run = last_run(session)
        if run is None:
            raise _not_linked()
        s = _run_settings(run)
        recs = read_records(session)
        previous = load_mapping(session)
        labels = load_labels(session)
        pairs = load_scores(session)
        link_run_id = run.id
        threshold = run.threshold  # the link run's (its settings' own, or chosen from these same pairs)
    linkable = recs.linkable
    feats = recs.features[linkable].reset_index(drop=True)
    with _step("Clustering", progress):
        if len(feats):
            linker = Linker(feats, s)
            raw = linker.clustering.raw_clusters(pairs, threshold, labels)
            linked = cluster.assign_individual_ids(raw, previous, key=s.id_key)
        else:
            linked = pd.DataFrame(columns=["record_key", "individual_id"])
    mapping = pd.concat(
        [linked, _singletons(recs.features.loc[~linkable, "record_key"], previous, s.id_key)], ignore_index=True
    )
    seconds = time.perf_counter() - t0
    with db.session_scope(eng) as session:
        new = LinkRun(
            kind="recluster",
            actor=actor,
            backend=s.backend,
            threshold=threshold,
            settings=s.to_dict(),
            model={"from_run": link_run_id},
            records=len(mapping),
            individuals=int(mapping["individual_id"].nunique()),
            pairs=len(pairs),
            digest=_digest(mapping),
            seconds=round(seconds, 2),
        )
        session.add(new)
        session.flush()
        save_mapping(session, mapping, recs.meta, new.id)
        new.uncertain = len(session.execute(select(LinkReviewPair.id).where(LinkReviewPair.status == "open")).all())
        out = _summary(new, seconds)
        audit.record(
            session,
            actor=actor,
            action="link_recluster",
            entity="linkage",
            entity_id=new.id,
            details={
                **out,
                "from_run": link_run_id,
                "labels": int(len(review.normalise_labels(labels))),
                "digest": new.digest,
            },
        )
    _write_individuals(mapping)
    with db.session_scope(eng) as session:
        forget_erased(session)  # a person erased while this ran
    return out


# --- export ---------------------------------------------------------------------------------------------


def export_csv(path: Path | str, actor: str = "cli") -> dict[str, Any]:
    """Write record_id (the source record id as imported), individual_id for every linked record."""
    path = Path(path)
    eng = db.upgrade()
    with db.session_scope(eng) as session:
        if last_run(session, kind=None) is None:
            raise _not_linked()
        q = (
            select(CaseRecord.source_record_id, IndividualLink.individual_id)
            .join(IndividualLink, IndividualLink.case_id == CaseRecord.id)
            .order_by(CaseRecord.id)
        )
        rows = session.execute(q).all()
        unlinked = session.execute(select(CaseRecord.id)).all()
        audit.record(
            session,
            actor=actor,
            action="link_export",
            entity="linkage",
            details={"rows": len(rows), "path": path.name, "digest": audit.digest_ids(r[0] for r in rows)},
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = cells.writer(fh)
            w.writerow(["record_id", "individual_id"])
            w.writerows(rows)
        os.replace(tmp, path)
    except OSError as exc:
        raise CtdataError(f"cannot write {path}: {exc.strerror or exc}") from None
    return {
        "path": str(path),
        "rows": len(rows),
        "individuals": len({r[1] for r in rows}),
        "not_linked": len(unlinked) - len(rows),
    }


# --- evaluation -----------------------------------------------------------------------------------------


def _read_truth(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileFormatError(f"{path}: truth file not found")
    try:
        t = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise FileFormatError(f"{path.name}: not a readable CSV ({exc})") from None
    missing = {"record_id", "person_id"} - set(t.columns)
    if missing:
        raise FileFormatError(f"{path.name}: truth file needs columns record_id and person_id")
    return t[["record_id", "person_id"]]


def evaluate_against_truth(
    truth_csv: Path | str, out_dir: Path | str, thresholds: tuple[float, ...] = CURVE_THRESHOLDS
) -> dict[str, Any]:
    """Score the current clusters against ground truth (record_id, person_id) and the reviewers' labels.

    Writes linkage-evaluation.html (with the threshold curve chart), .md, the
    curve as CSV and the scores as JSON into out_dir; returns the scores.
    """
    truth_raw = _read_truth(Path(truth_csv))
    out = Path(out_dir)
    eng = db.upgrade()
    with db.session_scope(eng) as session:
        run = last_run(session)
        if run is None:
            raise _not_linked()
        s = _run_settings(run)
        threshold = run.threshold  # the one the clusters were made at (the settings' own, or chosen)
        recs: StoreRecords = read_records(session)
        mapping = load_mapping(session)
        labels = load_labels(session)
        pairs = load_scores(session)
    meta = recs.meta[recs.linkable]
    ids = meta.groupby("source_record_id")["record_key"]
    unique = ids.size() == 1
    key_of = ids.first()[unique]
    truth = truth_raw.assign(record_key=truth_raw["record_id"].map(key_of)).dropna(subset=["record_key"])
    if truth.empty:
        raise CtdataError("none of the truth file's record_id values is in the case store")
    scores = evaluate.score_clusters(mapping, truth)
    feats = recs.features[recs.linkable].reset_index(drop=True)
    linker = Linker(feats, s)
    ts = sorted({*(t for t in thresholds if 0 < t < 1), threshold})
    curve = evaluate.threshold_curve(lambda t: linker.clustering.raw_clusters(pairs, t, labels), truth, ts)
    lab = review.normalise_labels(labels)
    label_scores = evaluate.score_labels(mapping, lab)
    naive = (scores.records - scores.individuals_true) / scores.individuals_true if scores.individuals_true else 0.0
    notes = [
        f"Clusters of linkage run {run.id} at match probability threshold {threshold}; "
        f"{len(truth):,} of {len(truth_raw):,} truth records found in the store.",
        f"Counting records instead of individuals would overstate individuals by {naive:+.1%}.",
        f"Agreement with {label_scores['labels']} reviewer labels (match / not match): precision "
        f"{label_scores['precision']:.3f}, recall {label_scores['recall']:.3f}, F1 {label_scores['f1']:.3f}.",
        "The threshold curve re-clusters the stored candidate pairs at each threshold, labels applied.",
    ]
    try:
        out.mkdir(parents=True, exist_ok=True)
        html_path = evaluate.write_report(out / "linkage-evaluation.html", scores, curve, notes=notes)
        md_path = evaluate.write_report(out / "linkage-evaluation.md", scores, curve, notes=notes)
        curve_path = out / "threshold-curve.csv"
        cells.safe_frame(curve).to_csv(curve_path, index=False)
        result = {
            **scores.as_dict(),
            "threshold": threshold,
            "truth_records": len(truth_raw),
            "matched_records": len(truth),
            "labels": label_scores,
            "records_overstatement": naive,
            "curve": curve.to_dict(orient="records"),
            "paths": {"html": str(html_path), "markdown": str(md_path), "curve": str(curve_path)},
        }
        (out / "linkage-evaluation.json").write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
    except OSError as exc:
        raise CtdataError(f"cannot write the evaluation report to {out}: {exc.strerror or exc}") from None
    result["paths"]["json"] = str(out / "linkage-evaluation.json")
    return result


def run_info() -> dict[str, Any] | None:
    """The latest run (link or re-cluster) as a dict, or None before the first."""
    with db.session_scope(db.upgrade()) as session:
        run = last_run(session, kind=None)
        if run is None:
            return None
        return {
            "run_id": run.id,
            "kind": run.kind,
            "at": run.created_at.isoformat(timespec="seconds"),
            "actor": run.actor,
            "threshold": run.threshold,
            "records": run.records,
            "individuals": run.individuals,
            "pairs": run.pairs,
            "uncertain": run.uncertain,
        }
