"""Option groups: a set of command-line options declared once, as a dataclass, and shared by
every command that takes it (`collect` and `run` share the collection options, `report` and `run`
the report options).

Typer builds a command's options from its function's signature; `@grouped` gives it a signature
in which each parameter annotated with an option group is replaced by the group's fields, and
hands the function the group back as one dataclass value.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def option_group(cls: type[T]) -> type[T]:
    """Mark a frozen dataclass whose fields (each `Annotated[..., typer.Option(...)]`) are options."""
    made = dataclasses.dataclass(frozen=True)(cls)
    made.__option_group__ = True  # type: ignore[attr-defined]
    return made


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return inspect.Parameter.empty


def grouped(fn: F) -> F:
    """Expand the option-group parameters of a command function for Typer (see module doc)."""
    hints = typing.get_type_hints(fn, include_extras=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, tuple[type[Any], list[str]]] = {}
    for name in inspect.signature(fn).parameters:
        kind = hints[name]
        if not getattr(kind, "__option_group__", False):
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=kind,
                    default=inspect.signature(fn).parameters[name].default,
                )
            )
            continue
        field_hints = typing.get_type_hints(kind, include_extras=True)
        fields = dataclasses.fields(kind)
        groups[name] = (kind, [f.name for f in fields])
        params += [
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, annotation=field_hints[f.name], default=_default(f)
            )
            for f in fields
        ]
    names = [p.name for p in params]
    if len(names) != len(set(names)):
        raise TypeError(f"{fn.__name__}: an option appears in two groups")

    @functools.wraps(fn)
    def command(**values: Any) -> Any:
        for name, (kind, field_names) in groups.items():
            values[name] = kind(**{n: values.pop(n) for n in field_names})
        return fn(**values)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command  # type: ignore[return-value]
