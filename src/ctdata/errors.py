"""Errors a user can act on.

Anything raised as a CtdataError is shown by the CLI and the API as one clear
line (no traceback), because it describes the user's input or set-up, not a
bug in ctdata.
"""

import errno
import re
from typing import Any

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
        """A model's validation errors: every field's problem in `fields` (pydantic's developer prefix
        such as 'Value error, ' removed), the first in the message as 'what name: problem'."""
        fields: dict[str, str] = {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "value"
            msg = str(err.get("msg", "invalid"))
            for prefix in ("Value error, ", "Assertion failed, "):
                msg = msg.removeprefix(prefix)
            raised = (err.get("ctx") or {}).get("error")
            said = raised.args[0] if isinstance(raised, Exception) and raised.args else None
            if isinstance(said, str) and str(said) == msg:
                msg = said  # the words as raised (a ctdata.text.Text keeps its message id for a page)
            named = _NAMED.match(msg) if not err.get("loc") else None
            if named:  # a rule across fields says which field it faults ("funding_name: ..."): put it there
                where, msg = named.group(1), named.group(2)
            fields.setdefault(where, msg)
        first = next(iter(fields), "value")
        return cls(f"{what} {first}: {fields.get(first, 'invalid')}", fields=fields)


class NotFound(CtdataError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    exit_code = 4


class PermissionDenied(CtdataError):
    """The user's role or office does not allow this."""

    exit_code = 3


class Conflict(CtdataError):
    """The change collides with the current state (a stale version, an open gate)."""

    exit_code = 5
