"""Errors a user can act on.

Anything raised as a CtdataError is shown by the CLI and the API as one clear
line (no traceback), because it describes the user's input or set-up, not a
bug in ctdata.
"""

import errno
import re
from collections.abc import Mapping
from typing import Any

from ctdata.text import Text

#: "field_name: problem", as a model's rule across fields words a problem it pins on one field.
_NAMED = re.compile(r"([a-z][a-z0-9_]*): (.+)", re.S)


class CtdataError(Exception):
    """Base of all errors that are the user's to fix."""

    exit_code = 2


class ConfigError(CtdataError):
    """Configuration is missing or malformed."""


class StorageError(ConfigError):
    """The disk refuses: full, read-only, or not ours to write. Nothing half-written is kept."""


#: errno of a refused write -> what to tell the user, and what to do about it
_OS_WRITE_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free space and run the command again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free space and run the command again"),
    errno.EROFS: ("the file system is read-only", "ctdata needs to write there: choose a writable place"),
    errno.EACCES: ("permission denied", "ctdata needs to write there: fix the permissions or choose another place"),
    errno.EPERM: ("operation not permitted", "fix the permissions or choose another place"),
}


def storage_error(exc: OSError) -> StorageError | None:
    """One clear line for an operating-system error of a file (disk full, read-only, missing), or None."""
    if exc.errno == errno.ENOENT and exc.filename:
        return StorageError(f"no such file or directory: {exc.filename}")
    known = _OS_WRITE_ERRORS.get(exc.errno or 0)
    if known is None:
        return None
    what, todo = known
    where = f" ({exc.filename})" if exc.filename else ""
    return StorageError(f"{what}{where}: {todo}; the case store keeps only whole transactions")


class FileFormatError(CtdataError):
    """A file cannot be read as the format it claims to be."""


class ValidationError(CtdataError):
    """A value breaks a rule of the standard.

    `fields` maps each field at fault to what is wrong with it, in words for the person who
    typed it (without the field's name), so a form can mark the field and say so beside it;
    the message itself stays one line naming the field, for the CLI and the API.
    """

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})

    @classmethod
    def at(cls, field: str, problem: str) -> "ValidationError":
        """The error of one field: 'field: problem', with `fields` saying the same."""
        return cls(f"{field}: {problem}", fields={field: problem})

    @classmethod
    def of_pydantic(cls, exc: Any, what: str) -> "ValidationError":
        """A model's validation errors: every field's problem in `fields` in plain words (`pydantic_problem`),
        the first in the message as 'what name: problem'."""
        fields: dict[str, str] = {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "value"
            msg = pydantic_problem(err)
            named = _NAMED.match(msg) if not err.get("loc") else None
            if named:  # a rule across fields says which field it faults ("funding_name: ..."): put it there
                where, msg = named.group(1), named.group(2)
            fields.setdefault(where, msg)
        first = next(iter(fields), "value")
        return cls(f"{what} {first}: {fields.get(first, 'invalid')}", fields=fields)


def pydantic_problem(err: Mapping[str, Any]) -> str:
    """One of pydantic's errors in plain words for the person who typed the value (a `Text`, so a page
    says it in its language), instead of pydantic's developer wording ('Input should be a valid integer').

    Why one place: the forms (`ValidationError.of_pydantic`) and the importer's row reasons
    (`ingest.result.reason_of`) say the same thing about the same value. A problem our own
    validators raised keeps their words (and their message id when raised as a `Text`).
    """
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", "invalid"))
    if kind in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        raised = ctx.get("error")
        said = raised.args[0] if isinstance(raised, Exception) and raised.args else None
        return said if isinstance(said, str) and str(said) == msg else msg  # a Text keeps its message id
    limit = next((ctx[k] for k in ("max_length", "min_length", "ge", "gt", "le", "lt") if k in ctx), None)
    plain = {
        "missing": Text("a value is needed here"),
        "extra_forbidden": Text("this is not a field of the standard: remove it or check its name"),
        "string_too_long": Text("too long: at most {count} characters", count=limit),
        "string_too_short": Text("too short: at least {count} characters", count=limit),
        "too_long": Text("too many values: at most {count}", count=limit),
        "too_short": Text("too few values: at least {count}", count=limit),
        "greater_than_equal": Text("must be {limit} or more", limit=limit),
        "greater_than": Text("must be more than {limit}", limit=limit),
        "less_than_equal": Text("must be {limit} or less", limit=limit),
        "less_than": Text("must be less than {limit}", limit=limit),
        "literal_error": Text("this is not one of the values the standard allows ({expected})",
                              expected=ctx.get("expected", "")),
        "int_parsing": Text("must be a whole number"),
        "int_type": Text("must be a whole number"),
        "int_from_float": Text("must be a whole number"),
        "float_parsing": Text("must be a number"),
        "float_type": Text("must be a number"),
        "bool_parsing": Text("must be yes or no"),
        "bool_type": Text("must be yes or no"),
        "string_type": Text("must be text"),
        "list_type": Text("must be a list of values"),
    }
    return plain.get(kind) or Text("this value is not accepted ({detail})", detail=msg)


class NotFound(CtdataError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    exit_code = 4


class PermissionDenied(CtdataError):
    """The user's role or office does not allow this."""

    exit_code = 3


class Conflict(CtdataError):
    """The change collides with the current state (a stale version, an open gate)."""

    exit_code = 5
