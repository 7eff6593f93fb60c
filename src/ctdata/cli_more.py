"""Verbs of the later layers (link, estimate, publish, serve, user, report annual).

Kept apart from cli.py so each can grow without crowding the core verbs.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the optional verbs to the main app."""
    return None
