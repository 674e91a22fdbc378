"""The embedded renderer on a small real .qmd with a table and a figure; and the site swap."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pypdf
import pytest
import yaml

from pipeline.render.execute import RenderError
from pipeline.render.qmd import parse_qmd
from pipeline.render.site import render_site

from conftest import render_status

SAMPLE_QMD = textwrap.dedent("""\
    ---
    title: "Sample page"
    ---

    Some text with a reference to @fig-bars and @tbl-values.

    ```{python}
    #| label: tbl-values
    import pandas as pd
    from IPython.display import Markdown
    frame = pd.DataFrame({"trial": ["Alpha", "Beta"], "rr": ["0.731", "1.284"]})
    Markdown(frame.to_markdown(index=False) + "\\n\\n: Values {#tbl-values}")
    ```

    ```{python}
    #| label: fig-bars
    #| fig-cap: "Two bars"
    #| fig-alt: "A bar chart with two bars, 3 and 5"
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [3, 5])
    plt.show()
    ```

    ```{python}
    #| echo: true
    print(2 + 40)
    ```
    """)


def make_project(tmp: Path, brief: bool = True) -> Path:
    reports = tmp / "reports"
    reports.mkdir()
    (reports / "sample.qmd").write_text(SAMPLE_QMD, encoding="utf-8")
    pages = ["sample.qmd"]
    if brief:
        (reports / "handout.qmd").write_text(
            SAMPLE_QMD.replace('title: "Sample page"', 'title: "Handout"\nformat:\n  typst:\n    papersize: a4'),
            encoding="utf-8",
        )
        pages.append("handout.qmd")
    config = {
        "project": {"type": "website", "render": pages},
        "website": {"title": "Test site", "navbar": {"left": [{"href": p, "text": p} for p in pages]}},
        "execute": {"echo": False},
    }
    (reports / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (tmp / "build").mkdir()
    return reports


def test_parse_qmd_reads_front_matter_and_options(tmp_path):
    reports = make_project(tmp_path, brief=False)
    doc = parse_qmd(reports / "sample.qmd")
    assert doc.front_matter["title"] == "Sample page"
    code = [c for c in doc.cells if c.kind == "code"]
    assert len(code) == 3
    assert code[1].options == {
        "label": "fig-bars",
        "fig-cap": "Two bars",
        "fig-alt": "A bar chart with two bars, 3 and 5",
    }
    assert code[2].options == {"echo": True}
    assert not code[0].source.startswith("#|")


@pytest.mark.slow
def test_embedded_html_and_pdf(tmp_path):
    reports = make_project(tmp_path)
    site = tmp_path / "_site"
    assert render_site(reports, tmp_path / "build", site, renderer="embedded") == "embedded"
    html = (site / "sample.html").read_text(encoding="utf-8")
    assert "0.731" in html and "1.284" in html and "<table" in html
    images = list((site / "sample_files").glob("fig-bars-*.png")) + list((site / "sample_files").glob("fig-bars-*.svg"))
    assert images, "the figure is a file next to the page"
    assert f'src="sample_files/{images[0].name}"' in html
    assert 'alt="A bar chart with two bars, 3 and 5"' in html
    assert "Figure 1" in html and "Table 1" in html and 'href="#fig-bars"' in html
    assert "sourceCode python" in html and "<code>42</code>" in html  # echo: true shows code and output
    assert 'href="handout.pdf"' in html  # the nav links the typst page as a PDF
    reader = pypdf.PdfReader(site / "handout.pdf")
    assert len(reader.pages) >= 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "0.731" in text and "1.284" in text and "Handout" in text


@pytest.mark.slow
def test_failed_build_keeps_last_good_site(tmp_path):
    reports = make_project(tmp_path, brief=False)
    site = tmp_path / "_site"
    render_site(reports, tmp_path / "build", site, renderer="embedded")
    before = (site / "sample.html").read_bytes()
    (reports / "sample.qmd").write_text(
        SAMPLE_QMD + "\n```{python}\nraise ValueError('broken page')\n```\n", encoding="utf-8"
    )
    with pytest.raises(RenderError, match="broken page"):
        render_site(reports, tmp_path / "build", site, renderer="embedded")
    assert (site / "sample.html").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("._site")], "no temporary site left behind"


def test_quarto_renderer_refuses_cleanly_without_quarto(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    reports = make_project(tmp_path, brief=False)
    with pytest.raises(RenderError, match="quarto command is not on PATH"):
        render_site(reports, tmp_path / "build", tmp_path / "_site", renderer="quarto")


@pytest.mark.needs_quarto
def test_quarto_backend_renders_the_same_sources(tmp_path):
    """Runs wherever the Quarto CLI exists (the publishing workflow, with REQUIRE_QUARTO=true); elsewhere
    conftest deselects it: the Quarto CLI is not installable on the CI machine (its PyPI package downloads
    from GitHub)."""
    assert shutil.which("quarto"), "REQUIRE_QUARTO is set but the quarto command is not on PATH"
    reports = make_project(tmp_path, brief=False)
    site = tmp_path / "_site"
    assert render_site(reports, tmp_path / "build", site, renderer="quarto") == "quarto"
    html = (site / "sample.html").read_text(encoding="utf-8")
    assert "0.731" in html and "1.284" in html


@pytest.mark.slow
def test_a_page_reexecutes_only_when_a_file_it_read_changed(tmp_path, capsys):
    reports = make_project(tmp_path, brief=False)
    build = tmp_path / "build"
    (build / "tables").mkdir()
    (build / "tables" / "x.md").write_text("**first**", encoding="utf-8")
    (build / "tables" / "y.txt").write_text("plain one", encoding="utf-8")
    (reports / "reader.qmd").write_text(
        '---\ntitle: "Reader"\n---\n\n```{python}\nfrom pipeline.pages import page\npage.show("x")\n```\n',
        encoding="utf-8",
    )
    (reports / "direct.qmd").write_text(
        '---\ntitle: "Direct"\n---\n\n```{python}\nimport os\nprint(open(os.path.join(os.environ["PIPELINE_BUILD"], "tables", "y.txt")).read())\n```\n',
        encoding="utf-8",
    )
    pages = ["sample.qmd", "reader.qmd", "direct.qmd"]
    render_site(reports, build, tmp_path / "_site", renderer="embedded", pages=pages)
    first = capsys.readouterr().out
    assert all(f"{p}" in first and "executed" in first for p in pages)
    render_site(reports, build, tmp_path / "_site", renderer="embedded", pages=pages)
    out = capsys.readouterr().out
    assert all(render_status(out).get(p) == "cached" for p in pages), out
    (build / "tables" / "x.md").write_text("**second**", encoding="utf-8")
    render_site(reports, build, tmp_path / "_site", renderer="embedded", pages=pages)
    out = capsys.readouterr().out
    status = render_status(out)
    assert (
        status["reader.qmd"] == "executed" and status["sample.qmd"] == "cached" and status["direct.qmd"] == "cached"
    ), out
    assert "second" in (tmp_path / "_site" / "reader.html").read_text(encoding="utf-8")
    (build / "tables" / "y.txt").write_text("plain two", encoding="utf-8")
    render_site(reports, build, tmp_path / "_site", renderer="embedded", pages=pages)
    out = capsys.readouterr().out
    status = render_status(out)
    assert status["direct.qmd"] == "executed" and status["reader.qmd"] == "cached", (
        "files opened directly are tracked too"
    )
    (reports / "sample.qmd").write_text(SAMPLE_QMD.replace("0.731", "0.732"), encoding="utf-8")
    render_site(reports, build, tmp_path / "_site", renderer="embedded", pages=pages)
    assert "0.732" in (tmp_path / "_site" / "sample.html").read_text(encoding="utf-8")


def test_kernels_print_no_warnings(tmp_path, capfd):
    reports = make_project(tmp_path, brief=False)
    render_site(reports, tmp_path / "build", tmp_path / "_site", renderer="embedded")
    captured = capfd.readouterr()
    assert "WARNING" not in captured.err and "without encryption" not in captured.err + captured.out
