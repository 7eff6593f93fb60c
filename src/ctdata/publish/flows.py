"""Release workflows: create, approve and withdraw, each by an authenticated actor, each audited.

The command line (`ctdata publish ...`, `ctdata demo`) and any web endpoint
call these functions, never the registry's lifecycle methods directly, so the
rules live here once:

- a release is created by an active account of an analyst, data manager or admin;
- it is approved (made public) by an active data-manager or admin account other
  than its creator (four eyes: the registry refuses the creator);
- it is withdrawn by an active data-manager or admin account.

"Active account" is checked against the store, not taken from the `Actor`: a
made-up name or a caseworker's account cannot approve a release. Every change,
and every refusal, is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ctdata.cases.access import Actor
from ctdata.cases.tx import queue_denial, record, transaction
from ctdata.cases.users import require_account
from ctdata.errors import PermissionDenied, ValidationError
from ctdata.publish.kanon import KAnonSettings
from ctdata.publish.releases import ReleaseEntry, ReleaseRegistry
from ctdata.publish.synthetic import SyntheticSettings
from ctdata.text import Text

CREATE_ROLES = ("admin", "data_manager", "analyst")
APPROVE_ROLES = ("admin", "data_manager")
WITHDRAW_ROLES = APPROVE_ROLES


def _registry(registry: ReleaseRegistry | None) -> ReleaseRegistry:
    if registry is not None:
        return registry
    from ctdata.publish.source import registry as configured

    return configured()


def _deny(actor: Actor, action: str, release_id: str | None, why: str) -> None:
    with transaction() as s:
        queue_denial(s, actor=actor.username, action="access_denied", entity="release", entity_id=release_id,
                     reason=why, details={"attempted": action, "role": actor.role})


def _require_account(actor: Actor, roles: tuple[str, ...], action: str, release_id: str | None) -> None:
    """Refuse (and audit) unless ``actor`` is an active account of the store with one of ``roles``."""
    with transaction() as s:
        require_account(s, actor, roles, action, "release", release_id)


def _audit(action: str, entry: ReleaseEntry, actor: Actor, details: dict[str, Any] | None = None) -> None:
    with transaction() as s:
        record(s, actor=actor.username, action=action, entity="release", entity_id=entry.release_id,
               details={"kind": entry.kind, "version": entry.version, "rows": entry.rows, "digest": entry.digest,
                        "state": entry.state, **(details or {})})


def create_release(
    actor: Actor,
    settings: KAnonSettings | SyntheticSettings,
    *,
    records: pd.DataFrame | None = None,
    one_per_individual: bool = True,
    registry: ReleaseRegistry | None = None,
    out: Path | None = None,
) -> tuple[ReleaseEntry, dict[str, Any]]:
    """A new *draft* release (k-anonymised or synthetic, by the type of ``settings``) and its report.

    ``records`` default to the warehouse's (refreshed first); a synthetic release
    keeps one record per linked individual unless ``one_per_individual`` is off.
    ``out``, when given, receives a copy of the release's files.
    """
    from ctdata.publish.api import release_kanon, release_synthetic
    from ctdata.publish.source import export, records_from_warehouse

    _require_account(actor, CREATE_ROLES, "release_create", None)
    settings.validate()
    reg = _registry(registry)
    if isinstance(settings, KAnonSettings):
        df = records_from_warehouse() if records is None else records
        entry, report = release_kanon(df, settings, reg, created_by=actor.username)
        details: dict[str, Any] = {"k": settings.k}
    else:
        df = records_from_warehouse(one_per_individual=one_per_individual) if records is None else records
        entry, report = release_synthetic(df, settings, reg, created_by=actor.username)
        details = {"epsilon": settings.epsilon, "delta": settings.delta}
    _audit("release_create", entry, actor, details)
    if out is not None:
        export(entry, out, reg)
    return entry, report


def approve_release(actor: Actor, release_id: str, *, registry: ReleaseRegistry | None = None) -> ReleaseEntry:
    """Make a draft public: needs an active data-manager (or admin) account other than the creator."""
    _require_account(actor, APPROVE_ROLES, "release_approve", release_id)
    try:
        entry = _registry(registry).approve(release_id, actor.username)
    except PermissionDenied as exc:  # the creator (four eyes)
        _deny(actor, "release_approve", release_id, str(exc))
        raise
    _audit("release_approve", entry, actor)
    return entry


def withdraw_release(
    actor: Actor, release_id: str, reason: str, *, registry: ReleaseRegistry | None = None
) -> ReleaseEntry:
    """Take a release off the public list (its files stay, for the record)."""
    if not (reason or "").strip():
        raise ValidationError(Text("say why the release is withdrawn"))
    _require_account(actor, WITHDRAW_ROLES, "release_withdraw", release_id)
    entry = _registry(registry).withdraw(release_id, actor.username, reason)
    _audit("release_withdraw", entry, actor, {"reason": reason})
    return entry


#: who may send de-identified records out of the system in another format (as who approves a release)
EXPORT_ROLES = APPROVE_ROLES


def export_ctdc(
    actor: Actor, out: Path, settings: KAnonSettings, *, records: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Write the store's records in the public CTDC layout, after the consent and k-anonymity steps of a release.

    ``records`` default to the warehouse's (refreshed first). The rows written are those that
    `kanon.kanonymise` releases (consented records only, identifiers refused, k-anonymous);
    the export is audited with its counts and the file's digest. Returns the k-anonymity report
    with ``rows`` and ``sha256``."""
    import hashlib

    from ctdata.publish.ctdc_export import write_ctdc
    from ctdata.publish.kanon import kanonymise
    from ctdata.publish.source import records_from_warehouse

    with transaction() as s:
        require_account(s, actor, EXPORT_ROLES, "export_ctdc", "export", out.name[:64])
    settings.validate()
    df = records_from_warehouse() if records is None else records
    res = kanonymise(df, settings)
    rows = write_ctdc(res.data, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    report = {**res.report, "rows": rows, "sha256": digest, "path": str(out)}
    with transaction() as s:
        record(s, actor=actor.username, action="export_ctdc", entity="export", entity_id=out.name[:64],
               details={"format": "ctdc_kanon", "k": settings.k, "rows": rows, "sha256": digest,
                        "records_in": res.report.get("records_in"),
                        "excluded_no_consent": res.report.get("excluded_no_consent"),
                        "records_suppressed": res.report.get("records_suppressed", 0)})
    return report
