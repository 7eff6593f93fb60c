"""`ctdata user ...`: accounts of the web app and the API."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ctdata.cli.output import JsonOpt, emit_json
from ctdata.errors import ValidationError

if TYPE_CHECKING:
    from ctdata.cases.access import Actor

app = typer.Typer(no_args_is_help=True, help="User accounts of the web app and API.")
PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


def read_password(password_stdin: bool, *, confirm: bool = True) -> str:
    """A password from one line of standard input, or from a prompt (asked twice when ``confirm``)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat password: ") != password:
            raise ValidationError("the two passwords differ")
    if not password:
        raise ValidationError("no password given")
    return password


def login(username: str, password_stdin: bool) -> Actor:
    """The actor of a user account whose password is given now (wrong or unknown: NotAuthenticated)."""
    from ctdata.cases.access import Actor, NotAuthenticated
    from ctdata.cases.tx import transaction
    from ctdata.cases.users import authenticate

    password = read_password(password_stdin, confirm=False)
    failure: NotAuthenticated | None = None
    with transaction() as s:
        try:
            actor = Actor.of(authenticate(s, username, password, client="cli"))
        except NotAuthenticated as exc:
            failure = exc  # the failed-login count and its audit entry must commit
    if failure is not None:
        raise failure
    return actor


def user_add_command(
    username: str,
    role: str,
    office: str | None,
    agency: str | None,
    password_stdin: bool = False,
    as_json: bool = False,
) -> None:
    """Create a user; the password comes from a prompt (twice) or one line of standard input."""
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import transaction
    from ctdata.cases.users import create_user

    password = read_password(password_stdin)
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
        emit_json(out)
    else:
        where = f" ({out['agency']} {out['office_country'] or ''})".rstrip() if out["agency"] else ""
        print(f"user {out['username']} created with role {out['role']}{where}")


def user_list_command(as_json: bool = False) -> None:
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import transaction
    from ctdata.cases.users import list_users

    with transaction() as s:
        users = list_users(s, SYSTEM)
    if as_json:
        emit_json(users)
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


@app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, data_manager, caseworker or analyst")],
    office: Annotated[str | None, typer.Option(help="Office country (caseworkers).")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code, registered (see `ctdata agency list`).")] = None,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (the password is asked for, or read from stdin)."""
    user_add_command(username, role, office, agency, password_stdin, as_json)


@app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """List users with their role and office."""
    user_list_command(as_json)


def user_admin_command(action: str, username: str, password_stdin: bool = False, as_json: bool = False) -> None:
    """disable, enable, reset-password or end-sessions for one account (as the store's operator)."""
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import transaction
    from ctdata.cases.users import end_sessions, reset_password, set_active

    password = read_password(password_stdin) if action == "reset-password" else None
    with transaction() as s:
        if action == "end-sessions":
            ended = end_sessions(s, SYSTEM, username)
            text = f"{ended} session(s) of {username} ended"
        elif action == "reset-password":
            reset_password(s, SYSTEM, username, password or "")
            text = f"password of {username} reset; its sessions ended"
        else:
            set_active(s, SYSTEM, username, action == "enable")
            text = f"{username} {action}d" + ("; its sessions ended" if action == "disable" else "")
    if as_json:
        emit_json({"username": username, "action": action, "done": True})
    else:
        print(text)


@app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="Login name.")], as_json: JsonOpt = False) -> None:
    """Disable an account: it cannot sign in, and its sessions and tokens stop working."""
    user_admin_command("disable", username, as_json=as_json)


@app.command("enable")
def user_enable(username: Annotated[str, typer.Argument(help="Login name.")], as_json: JsonOpt = False) -> None:
    """Enable a disabled account again (its sign-in lockouts are lifted)."""
    user_admin_command("enable", username, as_json=as_json)


@app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a new password (asked for twice, or read from stdin); the account's sessions end."""
    user_admin_command("reset-password", username, password_stdin, as_json)


@app.command("end-sessions")
def user_end_sessions(username: Annotated[str, typer.Argument(help="Login name.")], as_json: JsonOpt = False) -> None:
    """Sign an account out everywhere: every session and token of it stops working."""
    user_admin_command("end-sessions", username, as_json=as_json)
