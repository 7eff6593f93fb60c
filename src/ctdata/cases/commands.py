"""Bodies of `ctdata user add` and `ctdata user list` (the CLI wires them to Typer)."""

from __future__ import annotations

import getpass
import json
import sys

from ctdata.cases.access import SYSTEM
from ctdata.cases.tx import transaction
from ctdata.cases.users import create_user, list_users
from ctdata.errors import ValidationError


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise ValidationError("the two passwords differ")
    if not password:
        raise ValidationError("no password given")
    return password


def user_add_command(
    username: str,
    role: str,
    office: str | None,
    agency: str | None,
    password_stdin: bool = False,
    as_json: bool = False,
) -> None:
    """Create a user; the password comes from a prompt (twice) or one line of standard input."""
    password = _read_password(password_stdin)
    with transaction() as s:
        user = create_user(s, SYSTEM, username, password, role, office, agency)
        out = {
            "id": user.id,
            "username": user.username,
            "role": user.role,
            "office_country": user.office_country,
            "agency": user.agency,
        }
    if as_json:
        print(json.dumps(out))
    else:
        where = f" ({out['agency']} {out['office_country'] or ''})".rstrip() if out["agency"] else ""
        print(f"user {out['username']} created with role {out['role']}{where}")


def user_list_command(as_json: bool = False) -> None:
    with transaction() as s:
        users = list_users(s, SYSTEM)
    if as_json:
        print(json.dumps(users, default=str))
        return
    if not users:
        print("no users")
        return
    print(f"{'username':<24} {'role':<14} {'office':<7} {'agency':<20} active")
    for u in users:
        print(
            f"{u['username']:<24} {u['role']:<14} {u['office_country'] or '':<7} {u['agency'] or '':<20} "
            f"{'yes' if u['active'] else 'no'}"
        )
