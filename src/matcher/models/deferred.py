"""Models whose long tuples of rows are built on first read.

A problem loaded from tables (or with a long list of pair scores) and a plan fresh from a solver
hold their rows as arrays: building a pydantic model per row costs more than the solve itself at
scale. Such a model starts without those fields: its ``__dict__`` holds, under ``_PENDING``, an
object that builds them (:class:`PendingRows`). The first read of a missing field builds its
models (without validation: the values were checked where they came from); everything that reads
``__dict__`` wholesale (equality, iteration, repr, hashing, pickling) builds them all first.
``__dict__`` is swapped for a complete one, in field order (the order serialization follows), so
that a reader never sees it half-done.

Serialization to JSON (``model_dump_json``, ``model_dump(mode="json")``) builds no models where
the builder also gives the rows as JSON values (:class:`PendingJson`): what it returns is what
the models would have been serialized to, and the same serializer writes it, so the text is the
same byte for byte.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast, runtime_checkable

from pydantic import SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from .base import Model

__all__ = ["Deferred", "PendingJson", "PendingRows"]

#: Key, in a model's ``__dict__``, of the rows it has yet to build.
_PENDING = "_pending_rows"

_rows_lock = threading.RLock()


class PendingRows(Protocol):
    """Rows of a model, built on demand."""

    def rows(self, field: str) -> tuple[Model, ...]:
        """The models of ``field``."""
        ...


@runtime_checkable
class PendingJson(PendingRows, Protocol):
    """Rows that can also be given as JSON values, without their models."""

    def json_rows(self, field: str) -> Iterable[dict[str, Any]]:
        """``row.model_dump(mode="json")`` for each row of ``field``, built without models."""
        ...


class Deferred(Model):
    """A model whose fields named in :attr:`deferred_fields` may be built on first read."""

    #: The fields that may wait for their first read.
    deferred_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def with_pending_rows(
        cls, builder: PendingRows, pending: Collection[str] | None = None, /, **fields: Any
    ) -> Self:
        """A model with ``fields`` now and the ``pending`` fields (by default every deferred
        field) from ``builder`` when read; the other fields take their defaults.

        ``fields`` are taken as they are (:meth:`model_construct`): they must be valid.
        """
        names = cls.deferred_fields if pending is None else tuple(pending)
        model = cast(Self, cls.model_construct({*names, *fields}, **fields))
        return model.defer(builder, names)

    def defer(self, builder: PendingRows, fields: Collection[str] | None = None) -> Self:
        """Drop ``fields`` (by default every deferred field), to be built by ``builder`` when
        first read; returns ``self``.

        For a model just made (with placeholders in those fields) and not yet shared.
        """
        deferred = type(self).deferred_fields if fields is None else fields
        kept = {key: value for key, value in self.__dict__.items() if key not in deferred}
        kept[_PENDING] = builder
        object.__setattr__(self, "__dict__", kept)
        return self

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name in type(self).deferred_fields:
                with _rows_lock:
                    self._build_rows((name,))
                    if name in self.__dict__:
                        return self.__dict__[name]
            return super().__getattr__(name)

    @property
    def rows_pending(self) -> bool:
        """Whether some deferred field is still to be built."""
        return _PENDING in self.__dict__

    def pending_builder(self, name: str) -> PendingRows | None:
        """What will build field ``name``, or ``None`` when it is built (or never deferred)."""
        return None if name in self.__dict__ else self.__dict__.get(_PENDING)

    def _build_rows(self, names: Sequence[str] | None = None) -> None:
        """Build the pending fields among ``names`` (all by default)."""
        if _PENDING not in self.__dict__:
            return
        deferred = type(self).deferred_fields
        with _rows_lock:
            current = self.__dict__
            pending: PendingRows | None = current.get(_PENDING)
            wanted = deferred if names is None else names
            missing = [name for name in wanted if name in deferred and name not in current]
            if pending is None or not missing:
                return
            built = {name: pending.rows(name) for name in missing}
            complete: dict[str, Any] = {}
            for name in type(self).model_fields:
                if name in current:
                    complete[name] = current[name]
                elif name in built:
                    complete[name] = built[name]
            for key, value in current.items():
                if key not in complete and key != _PENDING:
                    complete[key] = value
            if any(name not in complete for name in deferred):
                complete[_PENDING] = pending
            object.__setattr__(self, "__dict__", complete)

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        builder = self.__dict__.get(_PENDING)
        if not isinstance(builder, PendingJson) or not _whole_json(info):
            self._build_rows()
            return handler(self)
        # The fields at hand as pydantic serializes them (it skips the missing ones), the pending
        # ones from the builder, in field order.
        present = handler(self)
        pending = {
            name: builder.json_rows(name)
            for name in type(self).deferred_fields
            if name not in self.__dict__
        }
        return {
            name: pending[name] if name in pending else present[name]
            for name in type(self).model_fields
            if name in pending or name in present
        }

    def __eq__(self, other: object) -> bool:
        self._build_rows()
        if isinstance(other, Deferred):
            other._build_rows()
        return super().__eq__(other)

    def __hash__(self) -> int:
        self._build_rows()
        return hash(tuple(self.__dict__.get(name) for name in type(self).model_fields))

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self._build_rows()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._build_rows()
        return super().__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        self._build_rows()
        return super().__getstate__()


def _whole_json(info: SerializationInfo) -> bool:
    """Whether a serialization is to JSON values, of every field, with no field left out."""
    return bool(
        info.mode_is_json()
        and info.include is None
        and info.exclude is None
        and not (info.exclude_defaults or info.exclude_unset or info.exclude_none)
    )
