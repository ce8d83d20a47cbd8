"""pydantic's own errors read in French: every type in the table, with pydantic's real context."""

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.i18n.validation import VALIDATION, validation_message


class Colour(enum.Enum):
    """An enum field."""

    RED = "red"


class Inner(BaseModel):
    """A nested object."""

    x: int


class Everything(BaseModel):
    """One field per kind of check the API's schemas use."""

    model_config = ConfigDict(extra="forbid")
    required: int
    positive: int = Field(0, gt=0)
    at_least: int = Field(0, ge=1)
    below: int = Field(0, lt=0)
    at_most: int = Field(0, le=-1)
    whole: int = 0
    number: float = Field(0.0, allow_inf_nan=False)
    short: str = Field("xx", min_length=2)
    long: str = Field("", max_length=1)
    shaped: str = Field("a", pattern="^a$")
    text: str = ""
    few: list[int] = Field([1], min_length=1)
    many: list[int] = Field([], max_length=0)
    flag: bool = False
    day: date = date(2020, 3, 20)
    moment: datetime = datetime(2020, 3, 20)
    clock: time = time(8)
    choice: Literal["a", "b"] = "a"
    colour: Colour = Colour.RED
    items: list[int] = []
    mapping: dict[str, int] = {}
    inner: Inner = Inner(x=1)
    step: int = Field(0, multiple_of=5)
    key: UUID = UUID(int=0)
    amount: Decimal = Decimal(0)
    nothing: None = None


BAD = {
    "positive": 0, "at_least": 0, "below": 1, "at_most": 0, "whole": 1.5, "number": "inf",
    "short": "x", "long": "xx", "shaped": "b", "text": 3, "few": [], "many": [1], "flag": "maybe",
    "day": "20/03/2020", "moment": "hier", "clock": "8h", "choice": "c", "colour": "blue",
    "items": "x", "mapping": 3, "inner": 3, "step": 7, "key": "not-a-uuid", "amount": "beaucoup",
    "nothing": 1, "unknown": 1,
}  # fmt: skip


def test_each_error_type_of_the_schemas_reads_in_french() -> None:
    """Every error pydantic raises here has a French template that fills in without gaps."""
    with pytest.raises(ValidationError) as caught:
        Everything.model_validate(BAD)
    errors = caught.value.errors()
    assert len(errors) == len(BAD) + 1  # each bad field, the unknown one, and the missing one
    for error in errors:
        assert error["type"] in VALIDATION, error
        french = validation_message(error, "fr")
        assert french != validation_message(error, "en"), error
        assert "{" not in french and "}" not in french, french
        assert " or " not in french, french


def test_unknown_types_fall_back_to_english() -> None:
    """A type the table lacks keeps pydantic's English rather than saying nothing."""
    error = {"type": "no_such_type", "msg": "Something odd", "ctx": {}}
    assert validation_message(error, "fr") == "Something odd"
