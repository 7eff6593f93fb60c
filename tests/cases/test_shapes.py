"""One shape per entity: the store's rows and the case services' answers follow the standard's models."""

from __future__ import annotations

import pytest

from ctdata.standard import models as std
from ctdata.store import models as orm


@pytest.mark.parametrize(
    "model, row",
    [
        (std.JourneyLeg, orm.JourneyLeg),
        (std.Assistance, orm.Assistance),
        (std.ReturnRecord, orm.ReturnRecord),
    ],
)
def test_every_field_of_the_standard_is_a_column_of_the_store(model, row):
    columns = set(row.__table__.columns.keys())
    assert set(model.model_fields) <= columns, set(model.model_fields) - columns
