"""`ctdata migrate`: bring the case store's schema up to date."""

from __future__ import annotations

from ctdata.cli.output import console


def migrate() -> None:
    """Bring the case store's schema up to date (other commands do this too)."""
    from ctdata.store import db

    eng = db.upgrade()
    console.print(f"case store at revision {db.current_revision(eng)} ({eng.url.render_as_string()})")
