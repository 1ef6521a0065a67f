"""Types every part of the schema shares."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Region = Literal["changshou", "guangan"]
Pollutant = Literal["COD", "NH3N", "SO2", "NOx", "VOCs"]
Strategy = Literal["truthful", "zic", "manual"]
Share = Annotated[float, Field(gt=0, le=1)]
Time = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
