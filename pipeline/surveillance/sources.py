"""ClinicalTrials.gov (API v2) and PubMed (E-utilities) clients for surveillance, standard library only.

Both take a ``fetch`` function (URL -> bytes) so tests can replay recorded replies. Errors become
:class:`SurveillanceError` with one line for the user: offline, timeout, rate limit (HTTP 429, retried
after ``Retry-After``), a reply that is not the documented JSON.

- ClinicalTrials.gov API v2: ``GET https://clinicaltrials.gov/api/v2/studies`` with ``query.cond``,
  ``query.intr``, ``query.term``, ``filter.advanced=AREA[LastUpdatePostDate]RANGE[YYYY-MM-DD,MAX]``,
  ``pageSize`` and ``pageToken``; reply ``{"studies": [{"protocolSection": {...}, "hasResults": ...}],
  "nextPageToken": ...}`` (https://clinicaltrials.gov/data-api/api).
- PubMed E-utilities: ``esearch.fcgi?db=pubmed&term=...&datetype=edat&mindate=YYYY/MM/DD&maxdate=3000
  &retmode=json`` then ``esummary.fcgi?db=pubmed&id=...&retmode=json``
  (https://www.ncbi.nlm.nih.gov/books/NBK25499/).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

CTGOV = "https://clinicaltrials.gov/api/v2/studies"
EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
USER_AGENT = "living-review-surveillance/1.0 (+make surveil)"
MAX_RETRIES = 3
MAX_WAIT_S = 60.0

Fetch = Callable[[str, float], bytes]


class SurveillanceError(RuntimeError):
    """A search could not be completed; the message is one line and nothing was changed."""


@dataclass(frozen=True)
class Record:
    source: str  # ClinicalTrials.gov | PubMed
    identifier: str  # NCT id or PMID
    title: str
    date: str
    doi: str = ""
    status: str = ""
    enrolment: int | None = None
    enrolment_type: str = ""
    has_results: bool = False
    start_date: str = ""

    @property
    def identifiers(self) -> list[str]:
        ids = [self.identifier]
        if self.source == "PubMed":
            ids = [f"PMID:{self.identifier}", self.identifier]
        if self.doi:
            ids.append(self.doi)
        return ids


def urllib_fetch(url: str, timeout: float) -> bytes:
    """GET a URL; HTTP errors are raised as urllib.error.HTTPError (with its headers)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - https URLs built here
        return reply.read()


def get_json(fetch: Fetch, url: str, name: str, timeout: float, sleep: Callable[[float], None] = time.sleep) -> dict:
    for attempt in range(MAX_RETRIES + 1):
        try:
            raw = fetch(url, timeout)
        except urllib.error.HTTPError as err:
            if err.code == 429 and attempt < MAX_RETRIES:
                retry_after = err.headers.get("Retry-After") if err.headers else None
                try:
                    wait = min(float(retry_after), MAX_WAIT_S) if retry_after else 2.0**attempt
                except ValueError:
                    wait = 2.0**attempt
                sleep(wait)
                continue
            if err.code == 429:
                raise SurveillanceError(
                    f"{name} is rate-limiting requests (HTTP 429) after {MAX_RETRIES} retries; try again later"
                ) from err
            raise SurveillanceError(f"{name} answered HTTP {err.code} ({err.reason})") from err
        except TimeoutError as err:
            raise SurveillanceError(f"{name} did not answer within {timeout:g} s (timeout)") from err
        except urllib.error.URLError as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, TimeoutError | socket.timeout):
                raise SurveillanceError(f"{name} did not answer within {timeout:g} s (timeout)") from err
            raise SurveillanceError(f"{name} could not be reached (offline? {reason})") from err
        except OSError as err:
            raise SurveillanceError(f"{name} could not be reached (offline? {err})") from err
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise SurveillanceError(f"{name} sent a reply that is not JSON ({str(err)[:80]})") from err
        if not isinstance(data, dict):
            raise SurveillanceError(f"{name} sent JSON of an unexpected shape (not an object)")
        return data
    raise SurveillanceError(f"{name}: no reply")  # pragma: no cover


def clinicaltrials_gov(
    strategy: dict[str, str], since: str, fetch: Fetch, timeout: float, sleep=time.sleep
) -> list[Record]:
    params = {"format": "json", "pageSize": "100"}
    for key, param in (("condition", "query.cond"), ("intervention", "query.intr"), ("term", "query.term")):
        if strategy.get(key):
            params[param] = strategy[key]
    if since:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
    records: list[Record] = []
    token = None
    for _ in range(50):  # at most 5,000 records
        query = dict(params, **({"pageToken": token} if token else {}))
        data = get_json(fetch, CTGOV + "?" + urllib.parse.urlencode(query), "ClinicalTrials.gov", timeout, sleep)
        studies = data.get("studies")
        if not isinstance(studies, list):
            raise SurveillanceError(
                "ClinicalTrials.gov sent a reply without a 'studies' list (not the documented API v2 format)"
            )
        for study in studies:
            try:
                protocol = study["protocolSection"]
                ident = protocol["identificationModule"]
                status = protocol.get("statusModule", {})
                enrol = protocol.get("designModule", {}).get("enrollmentInfo", {})
                records.append(
                    Record(
                        source="ClinicalTrials.gov",
                        identifier=ident["nctId"],
                        title=ident.get("officialTitle") or ident.get("briefTitle", ""),
                        date=status.get("lastUpdatePostDateStruct", {}).get("date", ""),
                        status=status.get("overallStatus", "").replace("_", " ").lower(),
                        enrolment=enrol.get("count"),
                        enrolment_type={"ESTIMATED": "anticipated", "ACTUAL": "actual"}.get(
                            enrol.get("type", ""), "not stated"
                        ),
                        has_results=bool(study.get("hasResults", False)),
                        start_date=status.get("startDateStruct", {}).get("date", ""),
                    )
                )
            except (KeyError, TypeError) as err:
                raise SurveillanceError(
                    f"ClinicalTrials.gov sent a study without {err} (not the documented API v2 format)"
                ) from err
        token = data.get("nextPageToken")
        if not token:
            break
    return records


def pubmed(term: str, since: str, fetch: Fetch, timeout: float, sleep=time.sleep) -> list[Record]:
    if not term:
        return []
    params = {"db": "pubmed", "term": term, "retmode": "json", "retmax": "500", "datetype": "edat", "maxdate": "3000"}
    if since:
        params["mindate"] = since.replace("-", "/")
    search = get_json(fetch, f"{EUTILS}/esearch.fcgi?" + urllib.parse.urlencode(params), "PubMed", timeout, sleep)
    try:
        ids = list(search["esearchresult"]["idlist"])
    except (KeyError, TypeError) as err:
        raise SurveillanceError(
            "PubMed sent an esearch reply without esearchresult.idlist (not the documented format)"
        ) from err
    if not ids:
        return []
    summary = get_json(
        fetch,
        f"{EUTILS}/esummary.fcgi?" + urllib.parse.urlencode({"db": "pubmed", "id": ",".join(ids), "retmode": "json"}),
        "PubMed",
        timeout,
        sleep,
    )
    result = summary.get("result")
    if not isinstance(result, dict):
        raise SurveillanceError("PubMed sent an esummary reply without 'result' (not the documented format)")
    records = []
    for pmid in ids:
        doc = result.get(pmid)
        if not isinstance(doc, dict):
            continue
        doi = next((a.get("value", "") for a in doc.get("articleids", []) if a.get("idtype") == "doi"), "")
        records.append(Record("PubMed", pmid, doc.get("title", ""), doc.get("pubdate", ""), doi=doi))
    return records
