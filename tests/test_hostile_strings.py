"""A hostile string pushed through every free-text field of review.yaml and the data, then every output
file scanned: HTML, SVG, the Atom feed, the PDF brief and the CSV downloads.

Each field the schema accepts the string in gets it (fields whose rules refuse it, such as keys, codes
and dates, are put back: refusing it at validation is the safe outcome). The build must succeed and no
output may carry a live script, an event handler, an injected element, a Typst command that ran, or a
spreadsheet formula.
"""

from __future__ import annotations

import csv
import html.parser
import io
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

from pipeline.inputs.validate import check_data_dir

from conftest import ROOT, run_make

HOSTILE = (
    '= <script>alert("xss")</script><img src=x onerror=alert(2)> "onmouseover=alert(3) '
    "#set page(width: 2cm) $x$ @cite *b* ]]> & {{curly}} --> <!--"
)
SHORT = "= <script>alert(1)</script>#set page(width: 2cm)"  # for fields with a length limit
TINY = "<img src=x onerror=alert(1)>"  # 28 characters: for labels
MARKER = "alert("
SKIP_KEYS = {"key", "primary_outcome", "rows_from", "column", "type", "measure", "select", "headline", "convention"}


def _string_leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _string_leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _string_leaves(v, (*path, i))
    elif isinstance(node, str) and path and path[-1] not in SKIP_KEYS:
        yield path


def _set(node, path, value):
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _get(node, path):
    for step in path:
        node = node[step]
    return node


def _problem_fields(data_dir) -> set[tuple[str, str]]:
    return {(p.path.split("/")[-1], p.column) for p in check_data_dir(data_dir).problems}


def poison_review_yaml(data_dir) -> list[tuple]:
    path = data_dir / "review.yaml"
    original = path.read_text(encoding="utf-8")
    review = yaml.safe_load(original)
    accepted = []
    for leaf in list(_string_leaves(review)):
        before = _get(review, leaf)
        for attempt in (f"{HOSTILE} {before}", f"{SHORT} {before}", SHORT, TINY, before):
            _set(review, leaf, attempt)
            path.write_text(yaml.safe_dump(review, allow_unicode=True, sort_keys=False), encoding="utf-8")
            if not any(f == "review.yaml" for f, _ in _problem_fields(data_dir)):
                break
        if attempt != before:
            accepted.append(leaf)
    path.write_text(yaml.safe_dump(review, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return accepted


def poison_tables(data_dir) -> list[tuple[str, str]]:
    accepted = []
    for table in ("studies", "screening", "risk_of_bias", "ongoing", "discrepancies", "grade", "outcomes"):
        path = data_dir / f"{table}.csv"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text))
        rows, fields = list(reader), list(reader.fieldnames or [])
        for column in fields:
            values = [r[column] for r in rows]
            if not any(v and not re.fullmatch(r"[-+0-9.eE]+", v) for v in values):
                continue  # numbers and empty columns
            for prefix in (HOSTILE, SHORT, None):
                for r, v in zip(rows, values, strict=True):
                    r[column] = f"{prefix} {v}" if prefix and v else v
                _write_csv(path, fields, rows)
                if not any(f == f"{table}.csv" for f, _ in _problem_fields(data_dir)):
                    break
            if prefix:
                accepted.append((table, column))
    return accepted


def _write_csv(path, fields, rows) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


class _Scanner(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.script_texts: list[str] = []
        self.handlers: list[str] = []
        self.injected: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.injected.append("img src=x")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_texts.append(data)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    data = tmp / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("extraction"))
    review_fields = poison_review_yaml(data)
    table_fields = poison_tables(data)
    assert not check_data_dir(data).problems
    run_make(tmp, data=data, editions=tmp / "editions")
    return tmp, review_fields, table_fields


@pytest.mark.slow
def test_the_string_reached_many_fields(hostile_build):
    _, review_fields, table_fields = hostile_build
    touched = {leaf[0] for leaf in review_fields}
    for wanted in ("title", "short_title", "subtitle", "question", "labels", "outcomes", "subgroups", "citation"):
        assert wanted in touched, f"review.yaml {wanted} never carried the hostile string"
    assert {("studies", "first_author"), ("studies", "title"), ("outcomes", "quote")} <= set(table_fields)


@pytest.mark.slow
def test_html_pages_carry_no_live_markup(hostile_build):
    site = hostile_build[0] / "_site"
    pages = list(site.glob("*.html")) + list(site.rglob("editions/*/index.html"))
    assert len(pages) > 10
    for page in pages:
        scanner = _Scanner()
        scanner.feed(page.read_text(encoding="utf-8"))
        assert not [s for s in scanner.script_texts if MARKER in s], f"{page.name}: data inside a <script>"
        assert not scanner.handlers, f"{page.name}: event handler attributes {scanner.handlers[:3]}"
        assert not scanner.injected, f"{page.name}: injected element"
        assert "alert(" in page.read_text(encoding="utf-8") or page.name in ("editions.html",), (
            f"{page.name} never shows the string as text (was it dropped?)"
        )


@pytest.mark.slow
def test_svg_figures_and_feed_are_well_formed_and_inert(hostile_build):
    site = hostile_build[0] / "_site"
    svgs = list((site / "figures").glob("*.svg"))
    assert svgs
    for svg in svgs:
        root = ET.parse(svg).getroot()
        for el in root.iter():
            assert not el.tag.endswith("script"), svg.name
            assert not [a for a in el.attrib if a.lower().startswith("on")], svg.name
    ET.parse(site / "feed.xml")


@pytest.mark.slow
def test_brief_compiles_with_the_string_as_text(hostile_build):
    from pypdf import PdfReader

    reader = PdfReader(str(hostile_build[0] / "_site" / "brief.pdf"))
    widths = {round(float(p.mediabox.width)) for p in reader.pages}
    assert widths == {595}, f"a Typst command from the data changed the page: widths {widths}"
    words = " ".join(p.extract_text() for p in reader.pages)
    assert "#set page" in words, "the Typst command should appear as text"


@pytest.mark.slow
def test_csv_downloads_hold_no_formulas(hostile_build):
    for path in (hostile_build[0] / "_site" / "data").rglob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@"):
                    assert re.fullmatch(r"[-+]?[0-9.eE+-]+", cell), f"{path.name}: formula cell {cell[:30]!r}"
