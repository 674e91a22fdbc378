"""Surveillance for new trials against recorded replies: new records found and matched against the
screening log; offline, timeout, rate limit, malformed replies and zero results each give one clear line
and change nothing; --append adds the records as awaiting screening."""

from __future__ import annotations

import email.message
import hashlib
import io
import shutil
import socket
import subprocess
import urllib.error
from pathlib import Path

import pytest

from pipeline.surveillance.run import run_surveillance

from conftest import FIXTURES, ROOT, pipeline

REPLIES = FIXTURES / "surveillance"


def recorded(overrides: dict | None = None, calls: list | None = None):
    """A fetch function answering from the recorded files (by the API the URL calls)."""
    overrides = overrides or {}

    def fetch(url: str, timeout: float) -> bytes:
        if calls is not None:
            calls.append(url)
        for fragment, action in overrides.items():
            if fragment in url:
                if isinstance(action, BaseException):
                    raise action
                if callable(action):
                    return action(url)
                return action
        if "clinicaltrials.gov" in url:
            name = "ctgov_studies_page2.json" if "pageToken=page2" in url else "ctgov_studies.json"
        elif "esearch" in url:
            name = "pubmed_esearch.json"
        else:
            name = "pubmed_esummary.json"
        return (REPLIES / name).read_bytes()

    return fetch


def tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            digest.update(p.read_bytes())
    return digest.hexdigest()


def test_new_records_are_listed_and_known_ones_recognised(data_copy, tmp_path, capsys):
    calls: list[str] = []
    before = tree(data_copy)
    status = run_surveillance(
        data_copy, tmp_path / "surveillance.md", fetch=recorded(calls=calls), sleep=lambda s: None
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "NCT09999991" in out and "NCT09999992" in out and "41234567" in out
    assert "NCT04355728" not in out.split("not yet in the screening log")[1], "a trial already in the log is not new"
    assert "34567890" not in out, "matched by DOI"
    report = (tmp_path / "surveillance.md").read_text()
    assert "not yet in the screening log: 3" in report
    assert tree(data_copy) == before, "without --append nothing in the data changes"
    assert any("query.cond=COVID-19" in u and "LastUpdatePostDate" in u for u in calls)
    assert any("mindate=2026%2F11%2F30" in u or "mindate=2026/11/30" in u for u in calls) or any(
        "mindate" in u for u in calls
    )


def test_append_adds_records_awaiting_screening_and_the_data_stay_valid(data_copy, tmp_path, capsys):
    from pipeline.inputs.validate import validate_data_dir

    assert run_surveillance(data_copy, tmp_path / "s.md", append=True, fetch=recorded(), sleep=lambda s: None) == 0
    text = (data_copy / "screening.csv").read_text(encoding="utf-8")
    assert text.count("awaiting screening") == 3 and "NCT09999991" in text
    assert validate_data_dir(data_copy) == []
    assert run_surveillance(data_copy, tmp_path / "s.md", append=True, fetch=recorded(), sleep=lambda s: None) == 0
    assert (data_copy / "screening.csv").read_text(encoding="utf-8").count("awaiting screening") == 3, "no duplicates"


def _http_error(code: int, retry_after: str | None = None) -> urllib.error.HTTPError:
    headers = email.message.Message()
    if retry_after:
        headers["Retry-After"] = retry_after
    return urllib.error.HTTPError(
        "https://clinicaltrials.gov/api/v2/studies", code, "Too Many Requests", headers, io.BytesIO(b"")
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"clinicaltrials.gov": urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))},
            "could not be reached (offline?",
        ),
        ({"clinicaltrials.gov": TimeoutError("timed out")}, "did not answer within"),
        ({"esearch": urllib.error.URLError(TimeoutError("timed out"))}, "PubMed did not answer within"),
        ({"clinicaltrials.gov": b"<html>Service unavailable</html>"}, "not JSON"),
        ({"clinicaltrials.gov": b'{"results": []}'}, "without a 'studies' list"),
        ({"esearch": b'{"esearchresult": {}}'}, "without esearchresult.idlist"),
        ({"clinicaltrials.gov": _http_error(503)}, "HTTP 503"),
    ],
)
def test_failures_give_one_line_and_change_nothing(data_copy, tmp_path, capsys, override, message):
    before = tree(data_copy)
    status = run_surveillance(data_copy, tmp_path / "s.md", append=True, fetch=recorded(override), sleep=lambda s: None)
    err = capsys.readouterr().err
    assert status == 1
    assert message in err and "nothing changed" in err and len(err.strip().splitlines()) == 1, err
    assert tree(data_copy) == before


def test_rate_limit_is_retried_after_the_servers_wait(data_copy, tmp_path, capsys):
    attempts = {"n": 0}
    waits: list[float] = []

    def flaky(url: str) -> bytes:
        attempts["n"] += 1
        if attempts["n"] <= 2:
            raise _http_error(429, "3")
        return (REPLIES / ("ctgov_studies_page2.json" if "pageToken" in url else "ctgov_studies.json")).read_bytes()

    status = run_surveillance(
        data_copy, tmp_path / "s.md", fetch=recorded({"clinicaltrials.gov": flaky}), sleep=waits.append
    )
    assert status == 0 and waits == [3.0, 3.0]
    always = {"clinicaltrials.gov": _http_error(429, "1")}
    before = tree(data_copy)
    assert (
        run_surveillance(data_copy, tmp_path / "s.md", append=True, fetch=recorded(always), sleep=lambda s: None) == 1
    )
    assert "rate-limiting" in capsys.readouterr().err and tree(data_copy) == before


def test_zero_results_say_so(data_copy, tmp_path, capsys):
    empty = {"clinicaltrials.gov": b'{"studies": []}', "esearch": (REPLIES / "pubmed_esearch_empty.json").read_bytes()}
    assert run_surveillance(data_copy, tmp_path / "s.md", append=True, fetch=recorded(empty), sleep=lambda s: None) == 0
    assert "no records since 2026" in capsys.readouterr().out


def test_make_surveil_without_network_prints_one_line_and_changes_nothing(tmp_path):
    """The real command on this machine (no internet, or a refused connection): one clear line, no change."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    before = tree(data)
    env_proxy = {
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "",
        "NO_PROXY": "",
    }
    proc = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "pipeline",
            "surveil",
            str(data),
            "--out",
            str(tmp_path / "s.md"),
            "--append",
            "--timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, **env_proxy},
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        len(proc.stderr.strip().splitlines()) == 1
        and "nothing changed" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    assert tree(data) == before


def test_surveil_refuses_invalid_data(tmp_path):
    pipeline("new", str(tmp_path / "r"), check=True)
    (tmp_path / "r" / "review.yaml").write_text("title: [", encoding="utf-8")
    proc = pipeline("surveil", str(tmp_path / "r"), "--out", str(tmp_path / "s.md"))
    assert proc.returncode == 1 and "invalid" in proc.stderr
