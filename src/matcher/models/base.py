"""The base every domain model shares: immutable, strict about unknown fields, no NaN or infinity."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .limits import MAX_COUNT

__all__ = ["MAX_COUNT", "Id", "Model", "Unit"]


class Model(BaseModel):
    """Frozen pydantic model that rejects unknown fields and non-finite numbers."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        use_enum_values=False,
    )


#: A non-empty identifier.
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: A number in [0, 1].
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
