"""A bad partial date in a model field is a field error, like every other bad value."""

import pydantic
import pytest
from pydantic import BaseModel

from ctdata.standard.types import PartialDateStr


class _Holder(BaseModel):
    when: PartialDateStr = None


@pytest.mark.parametrize("bad", ["2019-13-01", "31/31/2019", "1850", "2019-02-30"])
def test_bad_partial_date_is_a_pydantic_field_error(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        _Holder(when=bad)
    assert info.value.errors()[0]["loc"] == ("when",)


@pytest.mark.parametrize(("raw", "stored"), [("2019-03", "2019-03"), ("2019-03-04", "2019-03-04"), ("", None)])
def test_good_partial_date_is_normalised(raw: str, stored: str | None) -> None:
    assert _Holder(when=raw).when == stored
