"""Types every part of the schema shares."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

Region = Literal["changshou", "guangan"]
Pollutant = Literal["COD", "NH3N", "SO2", "NOx", "VOCs"]
Strategy = Literal["truthful", "zic", "manual"]
Share = Annotated[float, Field(gt=0, le=1)]
Time = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class Strict(BaseModel):
    """Frozen data that refuses unknown keys, NaN and infinities, and coercions.

    Pydantic would read ``years: true`` as 1 and ``seed: "١٢٣"`` (Arabic-Indic digits) as
    123; a number field here takes numbers only, not booleans or text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if field is not None:
                    _check_number(name, value, field.annotation)
        return data


def _check_number(where: str, value: Any, annotation: Any) -> None:
    """Refuse a bool or a string where ``annotation`` wants a number (one level into a
    list or a mapping's values too).

    Raises:
        ValueError: ``where: Input should be a valid number, not ...``.
    """
    if isinstance(value, dict | list):
        inner = _item_annotation(annotation, dict if isinstance(value, dict) else list)
        if inner is not None:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(item, bool | str):
                    _check_number(f"{where}.{key}", item, inner)
        return
    if not isinstance(value, bool | str):
        return
    kinds = _scalar_kinds(annotation)
    if kinds & {int, float} and type(value) not in kinds:
        raise ValueError(f"{where}: Input should be a valid number, not {value!r}")


def _scalar_kinds(annotation: Any) -> set[Any]:
    """The scalar types an annotation admits (``Literal`` values by their type)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _scalar_kinds(get_args(annotation)[0])
    if origin is Literal:
        return {type(v) for v in get_args(annotation)}
    if origin is Union or origin is UnionType:
        return set().union(*(_scalar_kinds(a) for a in get_args(annotation)))
    if origin is None and isinstance(annotation, type):
        return {annotation}
    return {object}


def _item_annotation(annotation: Any, container: type) -> Any:
    """The item annotation of ``list[X]`` or the value annotation of ``dict[K, X]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _item_annotation(get_args(annotation)[0], container)
    if origin is Union or origin is UnionType:
        found = [_item_annotation(a, container) for a in get_args(annotation)]
        found = [a for a in found if a is not None]
        return found[0] if len(found) == 1 else None
    if origin is container and get_args(annotation):
        return get_args(annotation)[-1]
    return None
