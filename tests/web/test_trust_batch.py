"""Trust lists (library and /trust page) and batch verification (library, CSV/JSON/HTML reports)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from openbadge_ctq.batch import BATCH_COLUMNS, parse_batch_csv, verify_batch, write_csv
from openbadge_ctq.errors import InputError
from openbadge_ctq.interfaces import MapFetcher
from openbadge_ctq.trust import TrustList
from openbadge_ctq.web.security import hash_token

from .conftest import CREDENTIAL_URL, NOW, csrf

ISSUER = "did:web:ctq.example"


def test_trust_list_judges_trusted_unknown_distrusted() -> None:
    trust = TrustList.parse(
        {
            "trusted": [ISSUER, {"id": "https://badges.example.org/issuer/", "name": "Example"}],
            "distrusted": ["did:web:mill.example"],
        }
    )
    assert trust.judge(ISSUER) == "trusted"
    assert trust.judge(f"{ISSUER}#key-1") == "trusted"
    assert trust.judge("https://badges.example.org/issuer") == "trusted"
    assert trust.judge("did:web:mill.example") == "distrusted"
    assert trust.judge("did:web:other.example") == "unknown"
    assert trust.judge(None) == "unknown"
    both = trust.with_issuer(ISSUER, "distrusted")
    assert both.judge(ISSUER) == "distrusted"
    assert TrustList.parse(both.dumps()) == both
    assert both.with_issuer(ISSUER, "unknown").judge(ISSUER) == "unknown"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("[]", "must be a JSON object"),
        ('{"trusted": "x"}', "must be a list"),
        ('{"trusted": [1]}', "issuer id or an object"),
        ('{"trusted": ["not-an-id"]}', "is not a DID, URL or URN"),
        ('{"trustd": []}', "unknown member 'trustd'"),
        ("{", "not valid JSON"),
    ],
)
def test_trust_list_errors(doc: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        TrustList.parse(doc)


def test_trust_list_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        TrustList.load(tmp_path / "nope.json")


def test_parse_batch_csv() -> None:
    rows = parse_batch_csv("Name,URL,Recipient\nJo,https://a.example/1,jo@example.org\n,,\nSam,https://a.example/2,\n")
    assert [(r.row, r.source, r.recipient) for r in rows] == [
        (2, "https://a.example/1", "jo@example.org"),
        (4, "https://a.example/2", None),
    ]
    bare = parse_batch_csv("https://a.example/1\nhttps://a.example/2\n")
    assert [r.source for r in bare] == ["https://a.example/1", "https://a.example/2"]
    with pytest.raises(InputError, match="no 'url' column"):
        parse_batch_csv("name,email\nJo,jo@example.org\n")
    with pytest.raises(InputError, match="at most 1"):
        parse_batch_csv("url\nhttps://a/1\nhttps://a/2\n", max_rows=1)


def test_verify_batch_rows(signed: dict[str, Any]) -> None:
    tampered = copy.deepcopy(signed)
    tampered["name"] = '=HYPERLINK("https://evil.example")'
    fetcher = MapFetcher(
        {CREDENTIAL_URL: json.dumps(signed).encode(), "https://x.example/t": json.dumps(tampered).encode()}
    )
    trust = TrustList.parse({"trusted": [signed["issuer"]["id"]]})
    rows = list(
        verify_batch(
            [CREDENTIAL_URL, "https://x.example/t", "https://x.example/missing", ""],
            fetcher=fetcher,
            now=NOW,
            trust=trust,
        )
    )
    assert [r["verdict"] for r in rows] == ["verified", "not verified", "not verified", "not verified"]
    first = rows[0]
    assert first["teacher"] == "Jo Rivera" and first["trust"] == "trusted" and first["issued"].startswith("2026-11-23")
    assert str(first["micro_credential"]).startswith("Writing Publicly")
    assert "signature does not match" in str(rows[1]["problem"])
    assert "no badge URL" in str(rows[3]["problem"])
    out = io.StringIO()
    assert write_csv(rows, out) == 4
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(BATCH_COLUMNS)
    assert "'=HYPERLINK" in text or "=HYPERLINK" not in text


def test_batch_endpoint_csv_json_html(client: TestClient) -> None:
    token = csrf(client)
    csv_file = f"url\n{CREDENTIAL_URL}\nhttps://nowhere.example/x\n".encode()
    as_csv = client.post(
        "/verify/batch", data={"csrf_token": token, "format": "csv"}, files={"file": ("b.csv", csv_file, "text/csv")}
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.splitlines()
    assert lines[0].startswith("row,url,verdict") and ",verified," in lines[1] and ",not verified," in lines[2]
    as_json = client.post(
        "/verify/batch", data={"csrf_token": token, "format": "json"}, files={"file": ("b.csv", csv_file, "text/csv")}
    )
    assert [r["verdict"] for r in as_json.json()["rows"]] == ["verified", "not verified"]
    as_html = client.post("/verify/batch", data={"csrf_token": token}, files={"file": ("b.csv", csv_file, "text/csv")})
    assert "1 of 2 credentials verified." in as_html.text
    no_csrf = client.post("/verify/batch", data={"format": "json"}, files={"file": ("b.csv", csv_file, "text/csv")})
    assert no_csrf.status_code == 403
    bad = client.post("/verify/batch", data={"csrf_token": token}, files={"file": ("b.csv", b"name\nx\n", "text/csv")})
    assert bad.status_code == 400 and "url" in bad.text


def test_report_shows_trust_separately(
    make_client: Callable[..., TestClient], tmp_path: Path, signed: dict[str, Any]
) -> None:
    issuer_id = signed["issuer"]["id"]
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"trusted": [], "distrusted": [issuer_id]}))
    client = make_client(trust_file=path, api_token_hashes=frozenset({hash_token("obt_admin")}))
    page = client.get("/verify", params={"url": CREDENTIAL_URL})
    assert '<span class="verdict">Verified</span>' in page.text  # the signature is valid...
    assert "DISTRUSTED" in page.text  # ...and the district distrusts the issuer
    assert client.get("/verify", params={"url": CREDENTIAL_URL, "format": "json"}).json()["trust"] == "distrusted"
    api = client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert api.json()["trust"] == "distrusted"


def test_trust_page_management_needs_token_and_csrf(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text('{"trusted": [], "distrusted": []}')
    client = make_client(trust_file=path, api_token_hashes=frozenset({hash_token("obt_admin")}))
    page = client.get("/trust")
    assert page.status_code == 200 and "No issuers are listed yet." in page.text
    token = client.cookies.get("badge_csrf")
    form = {"csrf_token": token, "issuer": ISSUER, "name": "CTQ", "action": "trusted"}
    assert client.post("/trust", data={**form, "token": "wrong"}).status_code == 401
    assert client.post("/trust", data={**form, "csrf_token": "", "token": "obt_admin"}).status_code == 403
    done = client.post("/trust", data={**form, "token": "obt_admin"}, follow_redirects=False)
    assert done.status_code == 303
    assert TrustList.load(path).judge(ISSUER) == "trusted"
    assert ISSUER in client.get("/trust").text
    assert client.get("/trust", headers={"accept": "application/json"}).json()["trusted"] == [
        {"id": ISSUER, "name": "CTQ"}
    ]
