"""One shape per entity: the store's rows and the case services' answers follow the standard's models."""

from __future__ import annotations

import pytest

from ctdata.standard import models as std
from ctdata.store import models as orm
from ctdata.store.fields import ENCRYPTED


@pytest.mark.parametrize(
    "model, row",
    [
        (std.JourneyLeg, orm.JourneyLeg),
        (std.Assistance, orm.Assistance),
        (std.ReturnRecord, orm.ReturnRecord),
    ],
)
def test_every_field_of_the_standard_is_a_column_of_the_store(model, row):
    """A field is a column, or for free text its encrypted column (store.fields lists them)."""
    table = row.__table__
    columns = set(table.columns.keys())
    stored = {f if f in columns else f"{f}_enc" for f in model.model_fields}
    assert stored <= columns, stored - columns
    assert all((table.name, c) in ENCRYPTED for c in stored if c.endswith("_enc"))
