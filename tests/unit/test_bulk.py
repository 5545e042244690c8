"""Bulk issuance through the Python API: reading rosters, row validation, idempotent re-runs."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.errors import InputError
from openbadge_ctq.interfaces import MapFetcher
from openbadge_ctq.model import Catalog
from openbadge_ctq.registry import (
    CSV_COLUMNS,
    Registry,
    RosterRow,
    RowOutcome,
    RowResult,
    issue_many,
    parse_roster,
    read_roster,
)
from openbadge_ctq.registry.bulk import parse_levels

from .test_registry import KEY, NOW
from .test_registry_db import BACKENDS, fresh_database

HEADER = ",".join(CSV_COLUMNS)
CTQ = "writing-publicly-to-influence-parents"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "roster.csv"


def roster(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


def run(registry: Registry, catalog: Catalog, data: bytes, issuer: str = "ctq") -> list[RowResult]:
    return list(
        issue_many(
            parse_roster(data).rows, registry=registry, catalog=catalog, key=KEY, issuer_id=issuer, now=NOW, actor="t"
        )
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(params=BACKENDS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    with fresh_database(request.param, tmp_path) as url, Registry(url) as opened:
        yield opened


# -- reading -----------------------------------------------------------------------------------------------------


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    data = codecs.BOM_UTF8 + (
        b'Recipient_Email , achievement,narrative\r\na@example.org,x,"two\nlines"\r\n\r\nb@example.org , y ,\r\n'
    )
    parsed = parse_roster(data)
    assert parsed.columns == ("recipient_email", "achievement", "narrative")
    assert [(r.row, dict(r.values), r.error) for r in parsed.rows] == [
        (2, {"recipient_email": "a@example.org", "achievement": "x", "narrative": "two\nlines"}, None),
        (4, {"recipient_email": "b@example.org", "achievement": "y", "narrative": ""}, None),
    ]


def test_a_row_that_is_not_utf8_names_the_byte_offset() -> None:
    data = roster("a@example.org,Ana,x,,,,,,,", "d@example.org,D\xe9e,x,,,,,,,".replace("\xe9", "@@"))
    data = data.replace(b"@@", b"\xe9")
    offset = data.index(b"\xe9")
    parsed = parse_roster(data)
    good, bad = parsed.rows
    assert good.error is None
    assert bad.row == 3
    assert bad.error == f"not UTF-8: byte 0xE9 at byte offset {offset} of the file (save the file as CSV UTF-8)"
    assert bad.values["recipient_email"] == "d@example.org" and bad.values["recipient_name"] == "D\ufffde"


def test_a_row_with_a_missing_column_is_reported() -> None:
    (row,) = parse_roster(roster("a@example.org,Ana")).rows
    assert row.error == "the row has 2 fields but the header has 10 (a missing column, or an unquoted comma)"
    assert row.values == {"recipient_email": "a@example.org", "recipient_name": "Ana"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty; expected a header row"),
        (b"\n\n", "row 1 is empty; the first row must be the header"),
        ("recipient_email,achievement".encode("utf-16"), "is UTF-16 text, not UTF-8"),
        (
            b"recipient_email,achievement,nam\xe9\n",
            "the header row is not UTF-8: byte 0xE9 at byte offset 31 of the file",
        ),
        (b"recipient_email,achievement,evidence_ulr\n", "unknown column 'evidence_ulr' in the header"),
        (b"recipient_email,achievement,achievement\n", "column 'achievement' appears twice"),
        (b"recipient_email,recipient_name\n", "the header has no 'achievement' column"),
        (b"recipient_email,achievement\na@example.org," + b"x" * 200_000 + b"\n", "row 2: malformed CSV (field larger"),
    ],
)
def test_file_level_problems(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_roster(data, name="roster.csv")


def test_a_semicolon_separated_file_gets_a_hint() -> None:
    with pytest.raises(InputError) as caught:
        parse_roster(b"recipient_email;achievement\n")
    assert caught.value.hint == "the file must be comma-separated"


def test_read_roster(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(roster("a@example.org,,x,,,,,,,"))
    assert [r.row for r in read_roster(path).rows] == [2]
    with pytest.raises(InputError, match="cannot read"):
        read_roster(tmp_path / "missing.csv")


def test_levels() -> None:
    assert parse_levels("") is None
    assert parse_levels(" Exemplary ") == "Exemplary"
    assert parse_levels("a=exemplary; b = proficient;") == {"a": "exemplary", "b": "proficient"}
    with pytest.raises(InputError, match="must be LEVEL or CRITERION=LEVEL"):
        parse_levels("a=exemplary;=b")


# -- issuing -----------------------------------------------------------------------------------------------------


def test_bad_rows_are_reported_and_good_rows_issued(registry: Registry, catalog: Catalog) -> None:
    data = roster(
        f"ana@example.org,Ana López,{CTQ},https://example.org/ana,Letter,What it shows,Narrative,Exemplary,"
        "2030-06-30,es",
        f"not-an-email,Bob,{CTQ},,,,,,,",
        "carl@example.org,Carl,no-such-badge,,,,,,,",
        f"dee@example.org,Dee,{CTQ},,,,,,2020-01-01,",
        "eve@example.org,Eve",
        f"fay@example.org,F@@y,{CTQ},,,,,,,",
        f"gus@example.org,Gus,{CTQ},,,,,developing,,",
        f"hal@example.org,Hal,{CTQ},,,,,,,",
        ",Ivy,writing-publicly-to-influence-parents,,,,,,,",
        "jo@example.org,Jo,riverbend-family-reading-nights,,,,,,,",
        f"kai@example.org,Kai,{CTQ},,,,,,next year,",
        f"lu@example.org,Lu,{CTQ},,,,,,,english please",
        f"mo@example.org,Mo,{CTQ},ftp://example.org/x,,,,,,",
    ).replace(b"@@", b"\xe1")
    offset = data.index(b"\xe1")
    results = run(registry, catalog, data)
    outcomes = {r.row: (r.outcome, r.reason) for r in results}
    assert [r.row for r in results] == list(range(2, 15))
    assert outcomes[2] == (RowOutcome.ISSUED, None)
    assert outcomes[9] == (RowOutcome.ISSUED, None)
    errors = {row: reason for row, (outcome, reason) in outcomes.items() if outcome is RowOutcome.ERROR}
    assert errors == {
        3: "recipient email 'not-an-email' is not a valid email address (expected name@example.org)",
        4: "achievement 'no-such-badge' is not in the catalog",
        5: "valid_until 2020-01-01 is not in the future (the credential would be expired when issued at "
        "2026-11-23T12:00:00Z)",
        6: "the row has 2 fields but the header has 10 (a missing column, or an unquoted comma)",
        7: f"not UTF-8: byte 0xE1 at byte offset {offset} of the file (save the file as CSV UTF-8)",
        8: "level 'Developing' for 'Audience and purpose' is below the required level 'Proficient'; "
        "'Writing Publicly to Influence Parents' is not earned",
        10: "recipient_email is empty",
        11: "achievement 'riverbend-family-reading-nights' is issued by 'riverbend', not 'ctq'",
        12: "valid_until 'next year' is not an ISO 8601 date-time",
        13: "locale 'english please' is not a language tag such as en or es-MX",
        14: "evidence URL 'ftp://example.org/x' must start with https:// (or be a data: URI)",
    }
    assert {r.row: r.recipient_email for r in results if r.row in (3, 4, 7)} == {
        3: "not-an-email",
        4: "carl@example.org",
        7: "fay@example.org",
    }
    assert registry.count() == 2
    ana = next(r.record for r in results if r.row == 2)
    assert ana is not None and ana.locale == "es" and ana.valid_until is not None
    credential = ana.credential
    assert credential["evidence"] == [
        {"type": ["Evidence"], "id": "https://example.org/ana", "name": "Letter", "narrative": "What it shows"}
    ]
    assert credential["credentialSubject"]["narrative"] == "Narrative"
    assert credential["credentialSubject"]["identifier"][1]["identityHash"] == "Ana López"
    report = verify(ana.document, fetcher=MapFetcher({}), now=NOW + timedelta(days=1), recipient="ana@example.org")
    assert report.verified, report.to_json()


def test_rerunning_the_same_roster_issues_nothing_twice(registry: Registry, catalog: Catalog) -> None:
    data = roster(
        f"a@example.org,,{CTQ},https://example.org/a,,,,,,",
        f"a@example.org,,{CTQ},https://example.org/other,,,,,,",  # other evidence: another award
        f"A@Example.org,,{CTQ},https://example.org/a,,,,,,",  # the same award as row 2
        f"b@example.org,,{CTQ},,,,,,,",
    )
    first = run(registry, catalog, data)
    assert [(r.row, r.outcome, r.reason) for r in first] == [
        (2, RowOutcome.ISSUED, None),
        (3, RowOutcome.ISSUED, None),
        (4, RowOutcome.SKIPPED, "same award as row 2"),
        (5, RowOutcome.ISSUED, None),
    ]
    assert first[2].credential_id == first[0].credential_id
    registry.revoke(str(first[3].credential_id), reason="Issued in error", actor="t", now=NOW)
    second = run(registry, catalog, data)
    assert [r.outcome for r in second] == [RowOutcome.SKIPPED] * 4
    assert [r.credential_id for r in second] == [r.credential_id for r in first]
    assert second[0].reason == "already issued on 2026-11-23T12:00:00Z"
    assert second[3].reason == "already issued on 2026-11-23T12:00:00Z (now revoked)"
    assert registry.count() == 3
    assert len(registry.audit()) == 4  # three issues and one revocation: the re-run wrote nothing


def test_plain_mappings_are_numbered_from_one(registry: Registry, catalog: Catalog) -> None:
    rows = [
        {"recipient_email": "p@example.org", "achievement": CTQ},
        {"recipient_email": "q@example.org", "achievement": CTQ, "level": "Not yet"},
        RosterRow(row=7, error="unreadable"),
    ]
    results = list(issue_many(rows, registry=registry, catalog=catalog, key=KEY, issuer_id="ctq", now=NOW, actor="api"))
    assert [(r.row, r.outcome) for r in results] == [
        (1, RowOutcome.ISSUED),
        (2, RowOutcome.ERROR),
        (7, RowOutcome.ERROR),
    ]
    assert results[0].ok and not results[1].ok
    assert results[0].to_json()["credentialId"] == results[0].credential_id
    assert results[2].to_csv_row() == {
        "row": "7",
        "outcome": "error",
        "credential_id": "",
        "recipient_email": "",
        "achievement": "",
        "reason": "unreadable",
    }


def test_the_documented_example_roster_issues_cleanly(registry: Registry, catalog: Catalog) -> None:
    results = run(registry, catalog, EXAMPLE.read_bytes(), issuer="riverbend")
    assert results and all(r.outcome is RowOutcome.ISSUED for r in results), [r.to_json() for r in results]


# -- chunks, worker processes, baking ----------------------------------------------------------------------------


def mixed_roster(n: int) -> bytes:
    lines = [f"t{i}@example.org,Teacher {i},{CTQ},https://example.org/e/{i},,,,,," for i in range(n)]
    lines[3] = "not-an-email,,x,,,,,,,"  # an error row
    lines[10] = lines[2].replace("Teacher 2", "Again")  # the same award as row 4 (natural key: email + evidence)
    if n > 40:
        lines[40] = f"t40@example.org,,{CTQ},,,,,Not yet,,"  # a level below the required one
    return roster(*lines)


def outcomes(results: list[RowResult]) -> list[tuple[int, RowOutcome, str | None]]:
    return [(r.row, r.outcome, r.reason) for r in results]


@pytest.mark.parametrize("chunk_size", [1, 7, 32])
def test_chunked_and_parallel_runs_give_the_same_results_in_row_order(
    tmp_path: Path, catalog: Catalog, chunk_size: int
) -> None:
    data = mixed_roster(70)
    runs = {}
    for workers in (1, 2):
        with Registry(f"sqlite:///{tmp_path / f'w{workers}-c{chunk_size}.sqlite'}") as registry:
            results = list(
                issue_many(
                    parse_roster(data).rows,
                    registry=registry,
                    catalog=catalog,
                    key=KEY,
                    issuer_id="ctq",
                    now=NOW,
                    actor="t",
                    workers=workers,
                    chunk_size=chunk_size,
                )
            )
            issued = [r for r in results if r.outcome is RowOutcome.ISSUED]
            assert registry.count() == len(issued) == 67
            assert {r.id for r in registry.list()} == {r.credential_id for r in issued}
            assert len(registry.audit()) == 67
            runs[workers] = outcomes(results)
    assert runs[1] == runs[2]
    assert [row for row, _, _ in runs[2]] == list(range(2, 72))
    skipped = [r for r in runs[2] if r[1] is RowOutcome.SKIPPED]
    assert skipped == [(12, RowOutcome.SKIPPED, "same award as row 4")]
    assert [r[0] for r in runs[2] if r[1] is RowOutcome.ERROR] == [5, 42]


def test_workers_bake_every_issued_credential_into_its_image(
    tmp_path: Path, catalog: Catalog, shared_contexts: object
) -> None:
    from openbadge_ctq.bake import unbake_png

    art = (Path(__file__).resolve().parents[2] / "issuers/ctq/images/wpi-colleagues.png").read_bytes()
    with Registry(f"sqlite:///{tmp_path / 'r.sqlite'}") as registry:
        results = list(
            issue_many(
                parse_roster(mixed_roster(12)).rows,
                registry=registry,
                catalog=catalog,
                key=KEY,
                issuer_id="ctq",
                now=NOW,
                actor="t",
                workers=2,
                chunk_size=4,
                bake={CTQ: art},
            )
        )
    issued = [r for r in results if r.outcome is RowOutcome.ISSUED]
    assert len(issued) == 10
    for result in issued:
        assert result.baked is not None and result.record is not None
        assert unbake_png(result.baked).payload.strip() == result.record.document.strip()
    report = verify(issued[0].baked, now=NOW + timedelta(days=1))
    assert report.verified, report.to_json()
    assert all(r.baked is None for r in results if r.outcome is not RowOutcome.ISSUED)


def test_a_row_that_fails_in_the_worker_is_an_error_and_is_not_recorded(tmp_path: Path, catalog: Catalog) -> None:
    with Registry(f"sqlite:///{tmp_path / 'r.sqlite'}") as registry:
        results = list(
            issue_many(
                parse_roster(roster(f"a@example.org,,{CTQ},,,,,,,", f"b@example.org,,{CTQ},,,,,,,")).rows,
                registry=registry,
                catalog=catalog,
                key=KEY,
                issuer_id="ctq",
                now=NOW,
                actor="t",
                workers=2,
                bake={CTQ: b"this is not an image"},
            )
        )
        assert [r.outcome for r in results] == [RowOutcome.ERROR, RowOutcome.ERROR]
        assert all("PNG" in (r.reason or "") or "SVG" in (r.reason or "") for r in results), outcomes(results)
        assert registry.count() == 0 and registry.audit() == []


def test_should_stop_ends_the_run_at_a_chunk_boundary_with_every_recorded_row_reported(
    tmp_path: Path, catalog: Catalog
) -> None:
    reported: list[RowResult] = []
    with Registry(f"sqlite:///{tmp_path / 'r.sqlite'}") as registry:
        for result in issue_many(
            parse_roster(roster(*(f"s{i}@example.org,,{CTQ},,,,,,," for i in range(100)))).rows,
            registry=registry,
            catalog=catalog,
            key=KEY,
            issuer_id="ctq",
            now=NOW,
            actor="t",
            workers=2,
            chunk_size=8,
            should_stop=lambda: len(reported) >= 20,
        ):
            reported.append(result)
        assert 20 <= len(reported) < 100
        assert len(reported) % 8 == 0  # whole chunks
        assert {r.id for r in registry.list()} == {r.credential_id for r in reported}


def test_a_full_database_stops_the_run_with_every_reported_row_recorded(tmp_path: Path, catalog: Catalog) -> None:
    from sqlalchemy import Connection, event

    from openbadge_ctq.errors import StoreError

    with Registry(f"sqlite:///{tmp_path / 'r.sqlite'}") as registry:
        reported: list[RowResult] = []
        engine = registry._db.engine

        # once two chunks are reported, cap every new transaction's file size: the next insert fails with a real
        # SQLITE_FULL ("database or disk is full")
        @event.listens_for(engine, "begin")
        def cap(conn: Connection) -> None:
            if len(reported) >= 16:
                conn.exec_driver_sql("PRAGMA max_page_count = 1")

        with pytest.raises(StoreError, match="full"):
            for result in issue_many(
                parse_roster(roster(*(f"f{i}@example.org,,{CTQ},,,,,,," for i in range(64)))).rows,
                registry=registry,
                catalog=catalog,
                key=KEY,
                issuer_id="ctq",
                now=NOW,
                actor="t",
                chunk_size=8,
            ):
                reported.append(result)
        event.remove(engine, "begin", cap)
        assert len(reported) == 16
        records = registry.list()
        assert {r.id for r in records} == {r.credential_id for r in reported}
        assert len(registry.audit()) == len(records)  # no credential without its audit line, none half-written
