"""The built site as a reader sees it: every page in headless Chromium (Playwright driving Debian's
chromium), served over HTTP; and the PDF brief by its text and a rendering of page 1."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pypdf
import pytest

from conftest import ROOT, require_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def server(built):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built / "_site"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *a, **k: None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    require_tool(executable is not None, "chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.needs_browser
def test_every_page_loads_cleanly_with_working_links_and_images(built, server, browser):
    pages = sorted(p.name for p in (built / "_site").glob("*.html"))
    assert len(pages) >= 15
    shots = ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    checked_links: dict[str, int] = {}
    for name in pages:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on("requestfailed", lambda req, errors=errors: errors.append(f"request failed: {req.url}"))
        response = page.goto(f"{server}/{name}", wait_until="load")
        assert response.status == 200, name
        assert not errors, f"{name}: {errors}"
        title = page.title()
        assert title and "–" in title, f"{name} has no page title"
        broken_images = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert not broken_images, f"{name}: broken images {broken_images}"
        assert page.evaluate("Array.from(document.images).every(i => i.alt && i.alt.length > 10)"), (
            f"{name}: image without alt text"
        )
        hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for href in hrefs:
            url = urllib.parse.urldefrag(href).url
            if url.startswith(server) and url not in checked_links:
                checked_links[url] = status(url)
        page.screenshot(path=str(shots / f"{Path(name).stem}.png"), full_page=True)
        page.close()
    broken = {u: s for u, s in checked_links.items() if s != 200}
    assert not broken, f"broken internal links: {broken}"
    assert any(u.endswith("brief.pdf") for u in checked_links) and any(
        u.endswith("datapackage.json") for u in checked_links
    )


@pytest.mark.needs_browser
def test_overview_shows_summary_of_findings_from_build(built, server, browser):
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    primary = sof[0]
    page = browser.new_page()
    page.goto(f"{server}/index.html")
    table_text = page.locator("table").first.inner_text()
    assert primary["label"] in table_text
    assert f"RR {primary['effect']:.2f} ({primary['ci_lower']:.2f} to {primary['ci_upper']:.2f})" in table_text
    assert f"{primary['participants']} ({primary['k']})" in table_text
    assert "Data version" in page.locator("footer").inner_text()
    assert page.locator(".whats-new").count() == 1
    page.close()


@pytest.mark.needs_browser
def test_trials_table_sorts_on_click(built, server, browser):
    page = browser.new_page()
    page.goto(f"{server}/trials.html")
    header = page.locator("div.sortable th", has_text="Trial").first
    first_before = page.locator("div.sortable tbody tr").first.inner_text()
    header.click()
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("div.sortable tbody tr").first.inner_text() != first_before
    numbers = page.locator("details.trial-numbers").first
    numbers.locator("summary").click()
    assert numbers.locator("tbody tr").count() > 0
    page.close()


@pytest.mark.needs_browser
def test_outcomes_menu_is_a_dropdown(built, server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/index.html")
    menu = page.locator(".site-header details").first
    link = menu.locator("a").first
    assert not link.is_visible()
    menu.locator("summary").click()
    assert link.is_visible()
    page.locator("h1").click()
    assert not link.is_visible(), "a click elsewhere closes the menu"
    menu.locator("summary").click()
    link.click()
    assert "/outcome-" in page.url
    page.close()


@pytest.mark.needs_browser
def test_site_works_at_phone_width(built, server, browser):
    """At 390 px the page never scrolls sideways: wide tables scroll inside their own box, figures scale."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for name in ("index.html", "trials.html", "outcome-mortality.html", "methods.html"):
        page.goto(f"{server}/{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, name
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('main table')).filter(t => t.scrollWidth > t.clientWidth + 2).length"
        )
        scrollable = page.evaluate(
            "Array.from(document.querySelectorAll('main table')).every(t => ['auto','scroll'].includes(getComputedStyle(t).overflowX) || getComputedStyle(t.parentElement).overflowX !== 'visible')"
        )
        assert scrollable, name
        assert page.evaluate("Array.from(document.images).every(i => i.getBoundingClientRect().width <= 390)"), name
        assert wide >= 0
    page.screenshot(path=str(ROOT / "build" / "screenshots" / "phone-outcome-mortality.png"), full_page=True)
    page.close()


def test_brief_pdf_text_and_first_page_image(built, tmp_path):
    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm (Debian poppler-utils)")
    pdf = built / "_site" / "brief.pdf"
    reader = pypdf.PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    primary = sof[0]
    assert f"{primary['effect']:.2f}" in text and f"{primary['ci_lower']:.2f}" in text
    assert "Key message" in text and "very uncertain" in text.lower()
    assert "Lanzoni" in text
    assert re.search(r"What.s new", text), "the brief has the one line on what changed"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000


def _pdf_text_sizes(reader: pypdf.PdfReader) -> list[float]:
    sizes: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            sizes.append(size * scale)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_brief_is_readable_at_print_size(built):
    """Text at least 7 pt on A4, the forest plot included (it is drawn at 1:1 for the page width), cells
    left-aligned (no justification), and the SoF's intervals never split across lines."""
    import re

    reader = pypdf.PdfReader(built / "_site" / "brief.pdf")
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.3, abs=1)  # A4
    sizes = _pdf_text_sizes(reader)
    assert sizes and min(sizes) >= 7.0 - 1e-6, f"smallest text {min(sizes):.2f} pt"
    svg = (built / "_site" / "figures" / "forest_mortality_print.svg").read_text(encoding="utf-8")
    width_pt = float(re.search(r'width="([0-9.]+)pt"', svg).group(1))
    assert width_pt <= 510.3 + 0.5, (
        "the print figure fits the text width of A4 with 1.5 cm margins, so it is not shrunk"
    )
    # matplotlib writes SVG in points (72 per inch): font-size 7.5px is 7.5 pt at 1:1
    fonts = [float(f) for f in re.findall(r"font-size:\s*([0-9.]+)px", svg)]
    assert fonts and min(fonts) >= 7.0, f"smallest figure text {min(fonts)} pt"
    brief_source = (ROOT / "pipeline" / "render" / "templates" / "brief.typ").read_text(encoding="utf-8")
    assert "#set par(justify: false)" in brief_source and "#set text(hyphenate: false)" in brief_source
    sof = (built / "build" / "tables" / "sof_brief.md").read_text(encoding="utf-8")
    assert re.search(r"RR\u00a0\d\.\d\d\u00a0\\?\(\d", sof), "intervals are joined by non-breaking spaces"
