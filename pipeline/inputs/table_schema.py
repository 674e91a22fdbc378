"""Frictionless Table Schemas (``data/schema/*.schema.json``): the one description of each table.

The validator reads them, the loader converts values with them and the site publishes
them in ``datapackage.json``. Only the parts of the Table Schema spec used here are
supported: field ``type`` (string, integer, number, date), ``constraints`` (required,
unique, enum, minimum, maximum, maxLength, pattern), ``primaryKey``, ``uniqueKeys`` (Table
Schema v2; an empty cell counts as a value of its own here) and ``foreignKeys``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int | None = None
    title: str = ""


@dataclass(frozen=True)
class TableSchema:
    name: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    unique_keys: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[dict, ...] = field(default_factory=tuple)
    path: Path | None = None
    title: str = ""
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def load_table_schema(path: Path) -> TableSchema:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    fields = []
    for f in raw["fields"]:
        c = f.get("constraints", {})
        fields.append(
            Field(
                name=f["name"],
                type=f.get("type", "string"),
                description=f.get("description", ""),
                required=bool(c.get("required", False)),
                unique=bool(c.get("unique", False)),
                enum=tuple(c["enum"]) if "enum" in c else None,
                minimum=c.get("minimum"),
                maximum=c.get("maximum"),
                pattern=c.get("pattern"),
                max_length=c.get("maxLength"),
                title=f.get("title", ""),
            )
        )
    pk = raw.get("primaryKey", [])
    return TableSchema(
        name=raw["name"],
        fields=tuple(fields),
        primary_key=tuple([pk] if isinstance(pk, str) else pk),
        unique_keys=tuple(tuple(k) for k in raw.get("uniqueKeys", [])),
        foreign_keys=tuple(raw.get("foreignKeys", [])),
        path=Path(path),
        title=raw.get("title", ""),
        description=raw.get("description", ""),
    )
