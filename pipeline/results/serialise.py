"""Typed results to JSON and back, and the JSON Schema of the contract, from the dataclasses' type hints.

Supported annotations: ``int``, ``float``, ``str``, ``bool``, ``Literal[...]``, ``X | None``,
``list[X]``, ``dict[str, X]``, dataclasses, and unions of dataclasses told apart by their
``status`` literal (:data:`pipeline.results.contract.Fit`). Non-finite floats are written as
``null`` (JSON has no NaN) and read back as NaN where the field is a plain ``float``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pipeline.results import contract

# derived values written beside the stored ones for people reading the JSON files
_DISPLAY_FIELDS = {
    contract.FitSummary: lambda f: {
        "effect": f.effect,
        "effect_ci_lower": f.effect_ci[0],
        "effect_ci_upper": f.effect_ci[1],
        "effect_pi_lower": f.effect_pi[0],
        "effect_pi_upper": f.effect_pi[1],
    }
}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(contract))


def _is_union(tp) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType)


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        extra = _DISPLAY_FIELDS.get(type(obj))
        if extra:
            out.update({k: to_jsonable(v) for k, v in extra(obj).items()})
        return out
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return to_jsonable(obj.item())
    return obj


def from_jsonable(tp: Any, value: Any) -> Any:
    """The typed value of a JSON value for the annotation ``tp`` (checked: a wrong type raises)."""
    return _converter(tp)(value)


def _float(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true/false")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


_PRIMITIVES: dict[Any, Callable[[Any], Any]] = {float: _float, int: _int, bool: _bool, str: _str, Any: lambda v: v}


@cache
def _converter(tp: Any) -> Callable[[Any], Any]:
    """A function reading JSON values of annotation ``tp``, built once per annotation (reading a
    1,000-trial result walks millions of values; inspecting the annotation each time dominated)."""
    if _is_union(tp):
        return _union_converter(tp)
    origin = get_origin(tp)
    if origin is list:
        (item,) = get_args(tp)
        convert = _converter(item)
        return lambda value: [convert(v) for v in value]
    if origin is dict:
        _, item = get_args(tp)
        convert = _converter(item)
        return lambda value: {k: convert(v) for k, v in value.items()}
    if origin is Literal:
        allowed = get_args(tp)

        def literal(value: Any) -> Any:
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")
            return value

        return literal
    if dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    if tp in _PRIMITIVES:
        return _PRIMITIVES[tp]
    raise TypeError(f"unsupported annotation {tp!r}")


def _dataclass_converter(tp: type) -> Callable[[Any], Any]:
    hints = _hints(tp)
    fields = [
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(tp)
    ]
    converters: dict[str, Callable[[Any], Any]] = {}

    def convert(value: Any) -> Any:
        if not converters:  # filled on first use: recursive types refer to themselves
            converters.update({name: _converter(hint) for name, hint, _ in fields})
        kwargs = {}
        for name, _, required in fields:
            if name in value:
                kwargs[name] = converters[name](value[name])
            elif required:
                raise ValueError(f"{tp.__name__}: '{name}' is missing")
        return tp(**kwargs)

    return convert


def _union_converter(tp: Any) -> Callable[[Any], Any]:
    args = get_args(tp)
    options = [a for a in args if a is not type(None)]
    optional = len(options) < len(args)
    if len(options) == 1:
        only = _converter(options[0])
        return lambda value: None if (value is None and optional) else only(value)
    if all(dataclasses.is_dataclass(o) for o in options):
        by_status = {}
        for option in options:
            status = _hints(option).get("status")
            for literal in get_args(status) if status is not None else ():
                by_status[literal] = option

        def tagged(value: Any) -> Any:
            if value is None:
                if optional:
                    return None
                return _converter(options[0])(None)
            if isinstance(value, dict) and value.get("status") in by_status:
                return _converter(by_status[value["status"]])(value)
            raise ValueError(
                f"no type of {tp} has status {value.get('status') if isinstance(value, dict) else value!r}"
            )

        return tagged

    def primitive(value: Any) -> Any:  # primitive unions such as float | str
        if value is None:
            if optional:
                return None
            return _converter(options[0])(None)
        for option in options:
            try:
                return _converter(option)(value)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{value!r} fits none of {tp}")

    return primitive


def dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=1, allow_nan=False)


def write_json(obj: Any, path: Path) -> None:
    Path(path).write_text(dumps(obj) + "\n", encoding="utf-8")


def read_json(tp: type, path: Path) -> Any:
    return from_jsonable(tp, json.loads(Path(path).read_text(encoding="utf-8")))


def _schema(tp: Any, defs: dict[str, dict]) -> dict:
    if _is_union(tp):
        options = get_args(tp)
        return {"anyOf": [_schema(o, defs) for o in options]}
    if tp is type(None):
        return {"type": "null"}
    origin = get_origin(tp)
    if origin is list:
        return {"type": "array", "items": _schema(get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(get_args(tp)[1], defs)}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = _hints(tp)
            props = {f.name: _schema(hints[f.name], defs) for f in dataclasses.fields(tp)}
            required = [
                f.name
                for f in dataclasses.fields(tp)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            ]
            if tp in _DISPLAY_FIELDS:
                for extra in ("effect", "effect_ci_lower", "effect_ci_upper", "effect_pi_lower", "effect_pi_upper"):
                    props[extra] = {"type": ["number", "null"], "description": "back-transformed (ratio measures)"}
            doc = (tp.__doc__ or "").strip().split("\n")[0]
            defs[name] = {
                "type": "object",
                "description": doc,
                "properties": props,
                "required": required,
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    if tp is float:
        return {"type": ["number", "null"]}  # null: not finite
    if tp is int:
        return {"type": "integer"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is str:
        return {"type": "string"}
    return {}


def json_schema(tp: type, title: str) -> dict:
    """JSON Schema (draft 2020-12) of a contract type, with every dataclass under ``$defs``."""
    defs: dict[str, dict] = {}
    root = _schema(tp, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        **root,
        "$defs": defs,
    }
