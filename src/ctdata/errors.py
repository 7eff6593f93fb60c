"""Errors a user can act on.

Anything raised as a CtdataError is shown by the CLI and the API as one clear
line (no traceback), because it describes the user's input or set-up, not a
bug in ctdata.
"""


class CtdataError(Exception):
    """Base of all errors that are the user's to fix."""

    exit_code = 2


class ConfigError(CtdataError):
    """Configuration is missing or malformed."""


class FileFormatError(CtdataError):
    """A file cannot be read as the format it claims to be."""


class ValidationError(CtdataError):
    """A value breaks a rule of the standard."""


class NotFound(CtdataError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    exit_code = 4


class PermissionDenied(CtdataError):
    """The user's role or office does not allow this."""

    exit_code = 3


class Conflict(CtdataError):
    """The change collides with the current state (a stale version, an open gate)."""

    exit_code = 5
