"""The micro-credential workflow: application rules, review, award, stacks, CLR 2.0 and certificates."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf import FPDF

from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.errors import InputError
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import SigningKey
from openbadge_ctq.jsonld import ContextLoader
from openbadge_ctq.model import Catalog
from openbadge_ctq.proofs import data_integrity
from openbadge_ctq.verify import verify
from openbadge_ctq.workflow import (
    CLR_CONTEXT,
    Application,
    Artifact,
    FileRef,
    Outcome,
    Reflection,
    Review,
    Workshop,
    count_words,
    decide,
    detect_media_type,
    issue_certificate,
    issue_clr,
    progress,
    stack_status,
    validate_application,
    verify_clr,
)
from openbadge_ctq.workflow_store import WorkflowStore

from ..conftest import VECTORS, load_json

KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-test")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MC = "writing-publicly-to-influence-parents"
STACK = "going-public-with-policy-and-pedagogy"
WPI = [
    "writing-publicly-to-influence-colleagues",
    "writing-publicly-to-influence-policymakers",
    "writing-publicly-to-influence-parents",
    "writing-publicly-to-influence-beyond-education",
]
CLR_FILE = VECTORS / "contexts/1edtech/clr-v2p0-context-2.0.1.json"
CRITERIA = ("audience-and-purpose", "call-to-action", "craft-and-support")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def clr_contexts() -> dict[str, Any]:
    return {CLR_CONTEXT: load_json(CLR_FILE)}


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def pdf_of(n_words: int) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, words(n_words, "reflect"))
    return bytes(pdf.output())


def application(**kw: Any) -> Application:
    base: dict[str, Any] = {
        "id": "app-1",
        "teacher": "teacher@school.example",
        "micro_credential": MC,
        "answers": (words(200), words(200)),
        "artifact": Artifact(kind="link", published=date(2026, 3, 1), url="https://blog.example/op-ed"),
        "reflection": Reflection(kind="video", url="https://video.example/v/1", duration_seconds=200),
        "submitted": NOW,
    }
    base.update(kw)
    return Application(**base)


def codes(problems: list[Any]) -> list[str]:
    return [p.code for p in problems]


# ------------------------------------------------------------------------------------------------------------
# word counting and file types


def test_words_are_counted_the_way_a_person_counts_them() -> None:
    assert count_words("A well-known op-ed — 2 pages.") == 5
    assert count_words("  - • — \n\t") == 0
    assert count_words("Écoles\u00a0publiques, 2026!") == 3
    assert count_words("don't stop") == 2


def test_media_type_comes_from_content() -> None:
    assert detect_media_type(b"%PDF-1.7 ...") == "application/pdf"
    assert detect_media_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert detect_media_type(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert detect_media_type(b"MZ\x90\x00 this is a windows exe") is None


# ------------------------------------------------------------------------------------------------------------
# each requirement, violated


def test_a_complete_application_has_no_problems(catalog: Catalog) -> None:
    assert validate_application(application(answers=(words(250), words(250))), catalog) == []


def test_601_words_is_refused_with_how_many_to_cut(catalog: Catalog) -> None:
    problems = validate_application(application(answers=(words(301), words(300))), catalog)
    assert codes(problems) == ["overview.too_long"]
    assert "601 words" in problems[0].message and "cut 101 words" in problems[0].message
    assert problems[0].field == "overview"


def test_hyphenated_words_count_once_toward_the_limit(catalog: Catalog) -> None:
    assert validate_application(application(answers=(words(250, "op-ed"), words(250, "well-known"))), catalog) == []


def test_an_artifact_25_months_old_is_refused(catalog: Catalog) -> None:
    old = Artifact(kind="link", published=date(2024, 10, 22), url="https://blog.example/old")
    problems = validate_application(application(artifact=old), catalog)
    assert codes(problems) == ["artifact.too_old"]
    assert "2024-11-23" in problems[0].message and "24 months" in problems[0].message
    edge = Artifact(kind="link", published=date(2024, 11, 23), url="https://blog.example/edge")
    assert validate_application(application(artifact=edge), catalog) == []


def test_a_five_minute_video_is_refused(catalog: Catalog) -> None:
    video = Reflection(kind="video", url="https://video.example/v/2", duration_seconds=300)
    problems = validate_application(application(reflection=video), catalog)
    assert codes(problems) == ["reflection.video_too_long"]
    assert "5:00" in problems[0].message and "4:00" in problems[0].message and "1:00" in problems[0].message


def test_a_1001_word_pdf_reflection_is_refused(catalog: Catalog) -> None:
    files = {}
    for n in (1000, 1001):
        data = pdf_of(n)
        ref = FileRef.of(data, f"reflection-{n}.pdf")
        files[ref.sha256] = data
        problems = validate_application(
            application(reflection=Reflection(kind="pdf", file=ref)), catalog, read_file=files.__getitem__
        )
        if n == 1000:
            assert problems == []
        else:
            assert codes(problems) == ["reflection.pdf_too_long"]
            assert "1001 words" in problems[0].message and "cut 1 words" in problems[0].message


def test_an_exe_renamed_pdf_is_refused(catalog: Catalog) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)
    ref = FileRef.of(exe, "op-ed.pdf")
    files = {ref.sha256: exe}
    for app in (
        application(reflection=Reflection(kind="pdf", file=ref)),
        application(artifact=Artifact(kind="pdf", published=date(2026, 1, 1), file=ref)),
    ):
        problems = validate_application(app, catalog, read_file=files.__getitem__)
        assert codes(problems) == ["file.type"]
        assert "op-ed.pdf must be a PDF" in problems[0].message and "whatever its name says" in problems[0].message


def test_a_png_is_not_accepted_as_a_pdf_and_a_big_file_is_refused(catalog: Catalog) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    ref = FileRef.of(png, "shot.pdf")
    problems = validate_application(
        application(artifact=Artifact(kind="pdf", published=date(2026, 1, 1), file=ref)),
        catalog,
        read_file={ref.sha256: png}.__getitem__,
    )
    assert codes(problems) == ["file.type"] and "it is a PNG image" in problems[0].message
    ok = validate_application(
        application(artifact=Artifact(kind="image", published=date(2026, 1, 1), file=ref)),
        catalog,
        read_file={ref.sha256: png}.__getitem__,
    )
    assert ok == []
    big = validate_application(
        application(artifact=Artifact(kind="image", published=date(2026, 1, 1), file=ref)),
        catalog,
        read_file={ref.sha256: png}.__getitem__,
        max_file_bytes=50,
    )
    assert codes(big) == ["file.too_large"]


def test_self_review_is_refused(catalog: Catalog) -> None:
    review = Review(
        reviewer="Teacher@School.example",
        application_id="app-1",
        levels=dict.fromkeys(CRITERIA, "Exemplary"),
        reviewed=NOW,
    )
    with pytest.raises(InputError, match="submitted application app-1 and cannot review it") as err:
        decide(review, catalog, application=application())
    assert err.value.hint == "ask another reviewer to score it"


def test_decision_follows_the_catalog_rule(catalog: Catalog) -> None:
    app = application()
    levels = {"audience-and-purpose": "Proficient", "call-to-action": "exemplary", "craft-and-support": "Developing"}
    decision = decide(
        Review(reviewer="r@ctq.example", application_id="app-1", levels=levels, reviewed=NOW), catalog, application=app
    )
    assert decision.outcome is Outcome.NOT_YET
    assert len(decision.feedback) == 1 and "scored Developing; needs Proficient" in decision.feedback[0]
    levels["craft-and-support"] = "proficient"
    decision = decide(
        Review(reviewer="r@ctq.example", application_id="app-1", levels=levels, reviewed=NOW), catalog, application=app
    )
    assert decision.outcome is Outcome.APPROVED and decision.feedback == ()
    with pytest.raises(InputError, match="score every rubric criterion"):
        decide(
            Review(reviewer="r@ctq.example", application_id="app-1", levels={}, reviewed=NOW), catalog, application=app
        )


def test_application_round_trips(catalog: Catalog) -> None:
    app = application(artifact=Artifact(kind="pdf", published=date(2026, 1, 1), file=FileRef.of(b"%PDF-", "a.pdf")))
    assert Application.from_mapping(json.loads(json.dumps(app.to_mapping()))) == app


# ------------------------------------------------------------------------------------------------------------
# the end-to-end flow


def _approve(store: WorkflowStore, catalog: Catalog, app_id: str, level: str, when: datetime) -> Any:
    return store.review(
        catalog,
        app_id,
        reviewer="reviewer@ctq.example",
        levels=dict.fromkeys(CRITERIA, level),
        comments="Clear call to action.",
        now=when,
    )


def test_teacher_earns_the_four_domains_the_stack_and_a_clr(
    tmp_path: Path, catalog: Catalog, clr_contexts: dict[str, Any]
) -> None:
    store = WorkflowStore(tmp_path / "home")
    teacher = "Ana.Teacher@School.example"
    reflection_pdf = tmp_path / "reflection.pdf"
    reflection_pdf.write_bytes(pdf_of(700))
    credentials = []
    for index, mc in enumerate(WPI):
        when = NOW + timedelta(days=index)
        sub = store.apply(
            catalog,
            teacher=teacher,
            teacher_name="Ana Teacher",
            micro_credential=mc,
            answers=[words(240), words(250)],
            artifact_kind="link",
            artifact_published=date(2026, 2, 1),
            artifact_url=f"https://news.example/{mc}",
            artifact_title="Why our school needs…",
            reflection_file=reflection_pdf if index % 2 else None,
            reflection_url=None if index % 2 else "https://video.example/v",
            reflection_seconds=239,
            public_overview=index == 0,
            now=when,
        )
        assert sub.accepted, sub.problems
        app_id = sub.application.id
        if mc == MC:  # judged "not yet", then resubmitted
            decision = _approve(store, catalog, app_id, "developing", when)
            assert decision.outcome is Outcome.NOT_YET and decision.feedback
            with pytest.raises(InputError, match="only approved applications are awarded"):
                store.award(catalog, app_id, KEY, now=when)
            assert store.decisions(app_id)[0].feedback == decision.feedback  # feedback kept
            again = store.apply(
                catalog,
                teacher=teacher,
                micro_credential=mc,
                answers=[words(100), words(100)],
                artifact_kind="link",
                artifact_published=date(2026, 4, 1),
                artifact_url="https://news.example/v2",
                reflection_url="https://video.example/v2",
                reflection_seconds=180,
                resubmits=app_id,
                now=when + timedelta(hours=2),
            )
            assert again.accepted and again.application.attempt == 2 and again.application.previous == app_id
            app_id = again.application.id
        assert _approve(store, catalog, app_id, "proficient", when).outcome is Outcome.APPROVED
        issued = store.award(catalog, app_id, KEY, now=when)
        report = verify(issued.credential, now=when)
        assert report.verified, report.errors
        subject = issued.credential["credentialSubject"]
        assert len(subject["result"]) == 3
        evidence = issued.credential["evidence"][0]
        assert evidence["id"].startswith("https://news.example/")
        assert ("narrative" in evidence) is (index == 0)  # the teacher chose what is public
        credentials.append(issued.credential)

    status = store.progress(catalog, teacher).stacks
    gp = next(s for s in status if s.stack == STACK)
    assert gp.complete and gp.remaining == () and len(gp.earned) == 4

    loader = ContextLoader(clr_contexts)
    stack_cred, clr = store.award_stack(
        catalog, STACK, teacher, KEY, now=NOW + timedelta(days=5), clr_loader=loader, name="Ana Teacher"
    )
    assert verify(stack_cred.credential, now=NOW + timedelta(days=6)).verified
    related = stack_cred.credential["credentialSubject"]["achievement"]["related"]
    assert len(related) == 4 and all(r["type"] == ["Related"] for r in related)
    assert clr is not None
    doc = clr.credential
    assert doc["@context"][1] == CLR_CONTEXT and doc["type"] == ["VerifiableCredential", "ClrCredential"]
    assert len(doc["credentialSubject"]["verifiableCredential"]) == 5
    assert {a["associationType"] for a in doc["credentialSubject"]["association"]} == {"isChildOf", "isPartOf"}
    result = verify_clr(doc, now=NOW + timedelta(days=6), contexts=clr_contexts)
    assert result.report.verified, result.report.errors
    assert len(result.bundled) == 5 and result.verified
    without = verify(doc, now=NOW + timedelta(days=6))
    assert not without.verified  # the CLR context is not bundled: the caller must pass it


def test_a_clr_fails_when_a_bundled_credential_is_tampered(catalog: Catalog, clr_contexts: dict[str, Any]) -> None:
    creds = []
    for mc in WPI[:2]:
        issued = _issue_direct(catalog, mc)
        creds.append(issued)
    loader = ContextLoader(clr_contexts)
    clr = issue_clr(
        catalog, "ctq", Recipient(email="ana@school.example"), KEY, creds, now=NOW, loader=loader, stack_id=STACK
    )
    assert clr.credential["partial"] is True
    assert verify_clr(clr.credential, now=NOW, contexts=clr_contexts).verified
    # tampered after signing: the CLR's own proof and the bundled credential both fail
    tampered = copy.deepcopy(clr.credential)
    tampered["credentialSubject"]["verifiableCredential"][1]["name"] = "Something else"
    result = verify_clr(tampered, now=NOW, contexts=clr_contexts)
    assert not result.report.verified and not result.bundled[1].verified and result.bundled[0].verified
    # tampered before the CLR was signed: the CLR's proof passes, the bundled credential still fails
    bad = copy.deepcopy(creds)
    bad[0]["credentialSubject"]["achievement"]["name"] = "Forged"
    resigned = issue_clr(catalog, "ctq", Recipient(email="ana@school.example"), KEY, bad, now=NOW, loader=loader)
    result = verify_clr(resigned.credential, now=NOW, contexts=clr_contexts)
    # the CLR's own signature is valid, but verify() also verifies each bundled credential: the CLR fails
    assert not result.report.verified and not result.bundled[0].verified and not result.verified
    failed = [c for c in result.report.checks if c.id == "clr.credential" and c.status.value == "fail"]
    assert failed and failed[0].pointer == "/credentialSubject/verifiableCredential/0"
    assert result.report.check("proof").status.value == "pass"  # type: ignore[union-attr]
    ids = [c.id for c in result.bundled[0].checks if c.status.value == "fail"]
    assert "proof" in " ".join(ids)


def _issue_direct(catalog: Catalog, mc: str) -> dict[str, Any]:
    from openbadge_ctq.issue import issue_credential

    return issue_credential(catalog, mc, Recipient(email="ana@school.example"), KEY, now=NOW).credential


def test_issue_clr_needs_the_clr_context(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="not bundled"):
        issue_clr(
            catalog,
            "ctq",
            Recipient(email="a@b.example"),
            KEY,
            [_issue_direct(catalog, MC)],
            now=NOW,
            loader=ContextLoader(),
        )


def test_clr_signs_byte_exactly_like_the_1edtech_vector(shared_contexts: dict[str, Any]) -> None:
    folder = VECTORS / "test-vectors/ob-v3p0-impl-guide/clrv2p0"
    vector = load_json(folder / "vector.json")
    unsigned = load_json(folder / "unsigned-credential.json")
    seed = bytes.fromhex(vector["privateKeyHex_64byte_seed_plus_public"])[:32]
    options = vector["proofOptions"]
    proof = data_integrity.create_proof(
        unsigned,
        Ed25519PrivateKey.from_private_bytes(seed),
        verification_method=options["verificationMethod"],
        created=datetime.fromisoformat(options["created"].replace("Z", "+00:00")),
        loader=ContextLoader(shared_contexts),
    )
    assert proof["proofValue"] == vector["proofValue"]


# ------------------------------------------------------------------------------------------------------------
# stacks, progress, certificates


def test_stack_status_and_progress(catalog: Catalog) -> None:
    stack = catalog.stacks[STACK]
    one = stack_status([WPI[0]], stack)
    assert not one.complete and one.needed == stack.required - 1 and WPI[0] in one.earned
    assert stack_status(WPI, stack).complete
    report = progress(catalog, "a@b.example", [WPI[0]])
    assert {s.stack for s in report.stacks} == {s.id for s in catalog.stacks.values() if s.awardable}


def test_stack_credential_is_refused_until_complete(tmp_path: Path, catalog: Catalog) -> None:
    store = WorkflowStore(tmp_path / "home")
    with pytest.raises(InputError, match="more needed"):
        store.award_stack(catalog, STACK, "nobody@school.example", KEY, now=NOW)


def test_certificate_counts_six_hours_per_workshop(tmp_path: Path, catalog: Catalog) -> None:
    store = WorkflowStore(tmp_path / "home")
    store.record_workshop("p@school.example", Workshop(name="Stories of Impact [1]", completed=date(2026, 9, 1)))
    store.record_workshop("p@school.example", Workshop(name="Stories of Impact 2", completed=date(2026, 10, 1)))
    store.record_workshop("P@school.example", Workshop(name="Stories of Impact 2", completed=date(2026, 10, 1)))
    issued = store.certify(catalog, "teachingpartners-certificate-of-completion", "p@school.example", KEY, now=NOW)
    subject = issued.credential["credentialSubject"]
    assert subject["creditsEarned"] == 12.0
    assert "- Stories of Impact \\[1\\] (2026-09-01)\n- Stories of Impact 2 (2026-10-01)" in subject["narrative"]
    assert verify(issued.credential, now=NOW).verified
    with pytest.raises(InputError, match="at least one completed workshop"):
        issue_certificate(
            catalog, "teachingpartners-certificate-of-completion", Recipient(email="x@y.example"), KEY, [], now=NOW
        )


def test_store_files_are_private_and_content_addressed(tmp_path: Path) -> None:
    store = WorkflowStore(tmp_path / "home")
    ref = store.put_file(b"%PDF-1.4 hello", "../../etc/x.pdf")
    path = tmp_path / "home/files" / ref.sha256
    assert ref.name == "x.pdf" and path.read_bytes() == b"%PDF-1.4 hello"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "home/files").stat().st_mode & 0o777 == 0o700
    with pytest.raises(InputError):
        store.application("../../etc/passwd")


def test_a_refused_application_is_not_saved(tmp_path: Path, catalog: Catalog) -> None:
    store = WorkflowStore(tmp_path / "home")
    sub = store.apply(
        catalog,
        teacher="t@school.example",
        micro_credential=MC,
        answers=[words(601), ""],
        artifact_kind="link",
        artifact_published=date(2024, 1, 1),
        artifact_url="https://x.example/a",
        reflection_url="https://v.example/",
        reflection_seconds=300,
        now=NOW,
    )
    assert not sub.accepted
    assert set(codes(sub.problems)) >= {"overview.too_long", "artifact.too_old", "reflection.video_too_long"}
    assert store.applications() == []


def test_stored_applications_match_the_json_schema(tmp_path: Path, catalog: Catalog) -> None:
    from jsonschema import Draft202012Validator

    from ..conftest import REPO

    schema = load_json(REPO / "schemas/application.schema.json")
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    store = WorkflowStore(tmp_path / "home")
    pdf = tmp_path / "piece.pdf"
    pdf.write_bytes(pdf_of(50))
    sub = store.apply(
        catalog,
        teacher="t@school.example",
        micro_credential=MC,
        answers=["a", "b"],
        artifact_kind="pdf",
        artifact_published=date(2026, 1, 1),
        artifact_file=pdf,
        reflection_file=pdf,
        public_overview=True,
        now=NOW,
    )
    assert sub.accepted, sub.problems
    stored = load_json(tmp_path / "home/workflow/applications" / f"{sub.application.id}.json")
    assert list(validator.iter_errors(stored["application"])) == []
    broken = {**stored["application"], "reflection": {"kind": "video", "url": "https://v.example/"}}
    assert [e.message for e in validator.iter_errors(broken)] == ["'durationSeconds' is a required property"]
