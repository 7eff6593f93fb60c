"""Settings objects that round-trip to JSON, saved with every release.

Like Splink's settings: a release can be reproduced from its saved settings
and its input snapshot, and a reviewer reads the same file the engine ran on.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Self

from ctdata.errors import ValidationError


class JsonSettings:
    """Mixin for dataclasses: ``to_dict``/``to_json`` and ``from_dict``/``from_json``."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise ValidationError(f"{cls.__name__}: unknown settings {sorted(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Self:
        return cls.from_dict(json.loads(text))
