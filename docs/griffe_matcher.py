"""Griffe extensions: what Python sees at run time and matcher's sources say in comments.

- Read statically, a pydantic model has no ``__init__`` of its own, so the fields its docstring
  documents under *Parameters* would match no signature. :class:`PydanticInit` gives each model
  of the package a keyword-only signature of its fields (those of its model bases first), as
  ``inspect.signature`` shows it, and the documented parameters are checked against that.
- matcher documents constants with ``#:`` comments above them (as Sphinx reads them);
  :class:`CommentDocstrings` makes those comments the constants' docstrings.
"""

from __future__ import annotations

from typing import Any

import griffe

_COMMENT = "#:"

_PYDANTIC = {"pydantic.BaseModel", "pydantic.main.BaseModel"}


def _is_model(cls: griffe.Class) -> bool:
    for klass in (cls, *cls.mro()):
        for base in klass.bases:
            path = base.canonical_path if isinstance(base, griffe.ExprName) else str(base)
            if path in _PYDANTIC:
                return True
    return False


def _fields(cls: griffe.Class) -> dict[str, griffe.Attribute]:
    fields: dict[str, griffe.Attribute] = {}
    for klass in (*reversed(cls.mro()), cls):
        for name, member in klass.members.items():
            if (
                not member.is_alias
                and isinstance(member, griffe.Attribute)
                and member.annotation is not None
                and not name.startswith("_")
                and "ClassVar" not in str(member.annotation)
                and name != "model_config"
            ):
                fields[name] = member
    return fields


def _classes(module: griffe.Module | griffe.Class) -> list[griffe.Class]:
    found = []
    for member in module.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Class):
            found += [member, *_classes(member)]
        elif isinstance(member, griffe.Module):
            found += _classes(member)
    return found


class PydanticInit(griffe.Extension):
    """Give each pydantic model of a loaded package the signature of its fields."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for cls in _classes(pkg):
            if "__init__" in cls.members or not _is_model(cls):
                continue
            parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
            for name, field in _fields(cls).items():
                parameters.append(
                    griffe.Parameter(
                        name,
                        annotation=field.annotation,
                        kind=griffe.ParameterKind.keyword_only,
                        default=field.value,
                    )
                )
            init = griffe.Function(
                "__init__",
                parameters=griffe.Parameters(*parameters),
                returns="None",
                parent=cls,
                lineno=cls.lineno,
                endlineno=cls.lineno,
            )
            cls.set_member("__init__", init)


class CommentDocstrings(griffe.Extension):
    """Give an attribute without a docstring the ``#:`` comment lines just above it."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        if attr.docstring is not None or attr.lineno is None or attr.filepath is None:
            return
        try:
            lines = attr.lines_collection[attr.filepath]
        except KeyError:  # no source lines loaded for it
            return
        comment: list[str] = []
        number = attr.lineno - 1  # the line above the assignment, counted from 1
        while number >= 1 and lines[number - 1].strip().startswith(_COMMENT):
            comment.insert(0, lines[number - 1].strip().removeprefix(_COMMENT).strip())
            number -= 1
        if comment:
            attr.docstring = griffe.Docstring("\n".join(comment), lineno=number + 1, parent=attr)
