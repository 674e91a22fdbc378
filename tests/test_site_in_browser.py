"""The built site as a reader sees it: every page in headless Chromium (Playwright driving Debian's
chromium), served over HTTP; and the PDF brief by its text and a rendering of page 1."""

from __future__ import annotations

import functools
import http.server
import json
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
    assert len(pages) >= 10
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
    mortality = sof[0]
    page = browser.new_page()
    page.goto(f"{server}/index.html")
    table_text = page.locator("table").first.inner_text()
    assert mortality["label"] in table_text
    assert f"RR {mortality['effect']:.2f} ({mortality['ci_lower']:.2f} to {mortality['ci_upper']:.2f})" in table_text
    assert f"{mortality['participants']} ({mortality['k']})" in table_text
    assert "Very low" in table_text or mortality["certainty"] != "very low"
    assert "Data version" in page.locator("footer").inner_text()
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
    page.close()


def test_brief_pdf_text_and_first_page_image(built, tmp_path):
    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm (Debian poppler-utils)")
    pdf = built / "_site" / "brief.pdf"
    reader = pypdf.PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    mortality = sof[0]
    assert f"{mortality['effect']:.2f}" in text and f"{mortality['ci_lower']:.2f}" in text
    assert "Key message" in text and "very uncertain" in text.lower()
    assert "Lanzoni" in text  # reference list
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000
