"""What an import did and what it could not do: printed by the command and written as IMPORT_REPORT.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    title: str
    source: str
    summary: list[str] = field(default_factory=list)  # what was imported
    attention: list[str] = field(default_factory=list)  # imported, but a person must check or complete it
    not_imported: list[str] = field(default_factory=list)  # parts of the source left out, and why
    tables: list[str] = field(default_factory=list)  # extra Markdown sections (e.g. RevMan's stored totals)

    def markdown(self) -> str:
        parts = [f"# {self.title}", "", f"Source: {self.source}", ""]
        for heading, items in (
            ("Imported", self.summary),
            ("Needs attention", self.attention),
            ("Not imported", self.not_imported),
        ):
            parts += [f"## {heading} ({len(items)})", ""]
            parts += [f"- {item}" for item in items] or ["- nothing"]
            parts.append("")
        parts += self.tables
        return "\n".join(parts).rstrip() + "\n"

    def console(self) -> str:
        lines = [f"{self.title}: {self.source}"]
        lines += [f"  imported: {item}" for item in self.summary]
        lines += [f"  check: {item}" for item in self.attention]
        lines += [f"  not imported: {item}" for item in self.not_imported]
        return "\n".join(lines)
