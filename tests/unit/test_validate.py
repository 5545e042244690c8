"""Our JSON Schemas (schemas/ob3, schemas/clr2) agree with 1EdTech's published ones; openbadge_ctq.validate.

The reference is the JSON-LD-compaction-friendly variant of each published schema in ../shared/vectors/schemas
(see ../shared/vectors/MANIFEST.md, "Known discrepancies"). On every example and on every mutated document
tried here, our verdict (valid or not) equals the published schema's verdict. The published schemas say
``format: date-time`` (RFC 3339); jsonschema asserts that only with the optional ``rfc3339-validator``, which
we do not depend on, so the published schemas are run here with an equivalent RFC 3339 check written below
(independently of the one in openbadge_ctq.validate).

The strict (arrays-only) 2024-09 variant rejects single values that JSON-LD compaction produces. We follow the
compaction-friendly variant (a verifier must accept compacted credentials); what we issue is valid under both,
and ``test_strict_variant_*`` records where the two variants disagree. See docs/schemas.md.

Offline: reads only the repository and ../shared/vectors.
"""

from __future__ import annotations

import base64
import calendar
import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator, Draft202012Validator, FormatChecker
from jsonschema.validators import validator_for

from openbadge_ctq.errors import InputError, SchemaError
from openbadge_ctq.resources import data_dir
from openbadge_ctq.validate import KINDS, MAX_PROBLEMS, schema_kind_for, validate_document, validate_or_raise

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"

OB3 = "ob3-achievementcredential"
ENDORSEMENT = "ob3-endorsementcredential"
PROFILE = "ob3-profile"
CLR = "clr2-clrcredential"

#: kind → the published compaction-friendly schema it must agree with.
PUBLISHED = {
    OB3: "schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json",
    ENDORSEMENT: "schemas/ob-v3p0/ob_v3p0_endorsementcredential_schema.json",
    PROFILE: "schemas/ob-v3p0/ob_v3p0_profile_schema.json",
    CLR: "schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json",
}
STRICT = "schemas/ob-v3p0/strict-2024-09/ob_v3p0_achievementcredential_schema.json"
#: kind → our schema file in schemas/.
OURS = {
    OB3: "ob3/achievementcredential.schema.json",
    ENDORSEMENT: "ob3/endorsementcredential.schema.json",
    PROFILE: "ob3/profile.schema.json",
    CLR: "clr2/clrcredential.schema.json",
}
EXAMPLE_GLOBS = (
    "test-vectors/ob-v3p0-spec-rendered/embedded-proof/*.json",
    "test-vectors/ob-v3p0-spec-rendered/vc-jwt/*.jwt",
    "examples/ob-v3p0-spec/*.json",
    "test-vectors/ob-v3p0-impl-guide/obv3p0/*-credential.json",
    "test-vectors/ob-v3p0-impl-guide/clrv2p0/*-credential.json",
)
MISSING = "<../shared/vectors is missing>"

VC2 = "https://www.w3.org/ns/credentials/v2"
VC1 = "https://www.w3.org/2018/credentials/v1"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


# ---- the published schemas, run as published ---------------------------------------------------------------

_RFC3339_DATE_TIME = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)


def rfc3339_date_time(value: object) -> bool:
    """RFC 3339 section 5.6 date-time (what ``jsonschema[format]`` asserts for ``format: date-time``)."""
    if not isinstance(value, str):
        return True
    match = _RFC3339_DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    return 1 <= day <= calendar.monthrange(year, month)[1]


def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"the shared vectors are missing: expected them at {VECTORS}")
    return VECTORS


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def published(kind: str) -> Draft201909Validator:
    return _draft_2019_09(PUBLISHED[kind])


@cache
def strict() -> Draft201909Validator:
    return _draft_2019_09(STRICT)


def _draft_2019_09(relative: str) -> Draft201909Validator:
    schema = load_json(vectors() / relative)
    checker = FormatChecker()
    checker.checks("date-time")(rfc3339_date_time)
    return Draft201909Validator(schema, format_checker=checker)


def ours_ok(doc: Any, kind: str) -> bool:
    return not validate_document(doc, kind)


def published_ok(doc: Any, kind: str) -> bool:
    return bool(published(kind).is_valid(doc))


def strict_ok(doc: Any) -> bool:
    return bool(strict().is_valid(doc))


def verdicts(doc: Any, kind: str) -> tuple[bool, bool]:
    return ours_ok(doc, kind), published_ok(doc, kind)


# ---- examples ----------------------------------------------------------------------------------------------


def example_names() -> list[str]:
    if not VECTORS.is_dir():
        return [MISSING]
    return [str(p.relative_to(VECTORS)) for pattern in EXAMPLE_GLOBS for p in sorted(VECTORS.glob(pattern))]


def load_example(name: str) -> dict[str, Any]:
    if name == MISSING:
        vectors()
    path = vectors() / name
    if path.suffix == ".jwt":
        payload = path.read_text(encoding="ascii").strip().split(".")[1]
        doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    else:
        doc = load_json(path)
    assert isinstance(doc, dict)
    return doc


# ---- a credential built the way we issue it: arrays everywhere ---------------------------------------------

SALT = "Kosher-7d2f"
EMAIL = "learner@example.org"
RESULT_DESCRIPTION_ID = "https://ctq.example/achievements/ctq-py-101#result-grade"
LEVEL_PASS = "https://ctq.example/achievements/ctq-py-101#level-pass"
LEVEL_MERIT = "https://ctq.example/achievements/ctq-py-101#level-merit"
ISSUED: dict[str, Any] = {
    "@context": [VC2, OB3_CONTEXT, OB3_EXTENSIONS],
    "id": "urn:uuid:2f1b8a0e-6c0d-5e2a-9d8b-2b0f5c3e7a11",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Python Fundamentals (CTQ-PY-101)",
    "description": "Awarded for completing the CTQ Python Fundamentals micro-credential.",
    "image": {"id": "https://ctq.example/badges/ctq-py-101.png", "type": "Image", "caption": "CTQ-PY-101"},
    "issuer": {"id": "did:web:ctq.example", "type": ["Profile"], "name": "CTQ Training Institute"},
    "validFrom": "2026-11-23T12:00:00Z",
    "validUntil": "2031-11-23T12:00:00Z",
    "awardedDate": "2026-11-23T12:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": "sha256$" + hashlib.sha256((EMAIL + SALT).encode("utf-8")).hexdigest(),
                "salt": SALT,
            }
        ],
        "achievement": {
            "id": "https://ctq.example/achievements/ctq-py-101",
            "type": ["Achievement"],
            "achievementType": "MicroCredential",
            "name": "Python Fundamentals",
            "description": "Writes, tests and packages small Python programs.",
            "criteria": {
                "id": "https://ctq.example/achievements/ctq-py-101/criteria",
                "narrative": "Pass the final assessment with at least the *Pass* level.",
            },
            "image": {"id": "https://ctq.example/badges/ctq-py-101.png", "type": "Image"},
            "inLanguage": "en",
            "humanCode": "CTQ-PY-101",
            "creditsAvailable": 1.5,
            "tag": ["python", "programming"],
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Python programming",
                    "targetUrl": "https://ctq.example/competencies/python",
                    "targetType": "ceasn:Competency",
                }
            ],
            "resultDescription": [
                {
                    "id": RESULT_DESCRIPTION_ID,
                    "type": ["ResultDescription"],
                    "name": "Final assessment grade",
                    "resultType": "RubricCriterionLevel",
                    "requiredLevel": LEVEL_PASS,
                    "rubricCriterionLevel": [
                        {"id": LEVEL_PASS, "type": ["RubricCriterionLevel"], "name": "Pass", "points": "50"},
                        {
                            "id": LEVEL_MERIT,
                            "type": ["RubricCriterionLevel"],
                            "name": "Merit",
                            "description": "Above expectations.",
                            "points": "75",
                        },
                    ],
                }
            ],
        },
        "result": [{"type": ["Result"], "resultDescription": RESULT_DESCRIPTION_ID, "achievedLevel": LEVEL_MERIT}],
    },
    "evidence": [
        {
            "id": "https://ctq.example/evidence/2f1b8a0e",
            "type": ["Evidence"],
            "name": "Final project",
            "narrative": "A command-line tool with tests and a wheel.",
        }
    ],
    "credentialSchema": [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ],
    "credentialStatus": {"id": "https://ctq.example/revocations", "type": "1EdTechRevocationList"},
    "proof": [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-11-23T12:00:01Z",
            "verificationMethod": "did:web:ctq.example#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKK",
        }
    ],
}


def issued() -> dict[str, Any]:
    return copy.deepcopy(ISSUED)


# ---- document walking --------------------------------------------------------------------------------------

JsonPath = tuple[str | int, ...]


def nodes(doc: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from nodes(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from nodes(value, (*path, index))


def at(doc: Any, path: JsonPath) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def pointer(path: JsonPath) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def type_names(node: Any) -> set[str]:
    raw = node.get("type") if isinstance(node, dict) else None
    if isinstance(raw, str):
        return {raw}
    return {t for t in raw if isinstance(t, str)} if isinstance(raw, list) else set()


def variants(doc: Any) -> Iterator[tuple[str, Any]]:
    """Systematic one-step mutations: drop each property, wrap each value in an array, unwrap each
    one-element array, and give each scalar a value of another JSON type."""
    for path, value in list(nodes(doc)):
        if not path:
            continue
        where = pointer(path)
        parent_path, key = path[:-1], path[-1]
        if isinstance(key, str):
            mutated = copy.deepcopy(doc)
            del at(mutated, parent_path)[key]
            yield f"drop {where}", mutated
        mutated = copy.deepcopy(doc)
        at(mutated, parent_path)[key] = [copy.deepcopy(value)]
        yield f"wrap {where}", mutated
        if isinstance(value, list) and len(value) == 1:
            mutated = copy.deepcopy(doc)
            at(mutated, parent_path)[key] = copy.deepcopy(value[0])
            yield f"unwrap {where}", mutated
        if not isinstance(value, dict | list):
            other: Any = 7 if isinstance(value, str) else "7" if not isinstance(value, bool) else "true"
            mutated = copy.deepcopy(doc)
            at(mutated, parent_path)[key] = other
            yield f"retype {where}", mutated


# ---- the published schemas and ours, as files --------------------------------------------------------------


def refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from refs(value)


@pytest.mark.parametrize("relative", [*PUBLISHED.values(), STRICT])
def test_published_schemas_are_draft_2019_09_and_self_contained(relative: str) -> None:
    schema = load_json(vectors() / relative)
    assert validator_for(schema) is Draft201909Validator
    external = [r for r in refs(schema) if not r.startswith("#")]
    assert external == [], f"{relative} refers to other documents: {external}"


@pytest.mark.parametrize("kind", KINDS)
def test_our_schemas_are_draft_2020_12_and_self_contained(kind: str) -> None:
    schema = load_json(data_dir("schemas") / OURS[kind])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:openbadge-ctq:schema:")
    Draft202012Validator.check_schema(schema)
    for ref in refs(schema):
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in schema["$defs"], f"{OURS[kind]}: dangling {ref}"


def test_every_kind_has_a_published_counterpart() -> None:
    assert set(KINDS) == set(PUBLISHED) == set(OURS)


def test_shared_defs_are_identical_across_our_schemas() -> None:
    """Each schema file is self-contained, so shared classes are repeated: they must not drift apart."""
    seen: dict[str, tuple[str, Any]] = {}
    shared = 0
    for name in OURS.values():
        for def_name, definition in load_json(data_dir("schemas") / name)["$defs"].items():
            if def_name in seen:
                first_file, first = seen[def_name]
                assert definition == first, f"$defs/{def_name} differs between {first_file} and {name}"
                shared += 1
            else:
                seen[def_name] = (name, definition)
    assert shared > 20


SPEC_CLASSES = [
    "AchievementCredential", "AchievementSubject", "Achievement", "Alignment", "Criteria", "IdentityObject",
    "Image", "Evidence", "Profile", "ResultDescription", "RubricCriterionLevel", "Result", "Proof",
    "CredentialSchema", "CredentialStatus", "EndorsementCredential", "EndorsementSubject", "Related",
]  # fmt: skip


def test_schemas_define_the_classes_the_spec_names() -> None:
    defs = load_json(data_dir("schemas") / OURS[OB3])["$defs"]
    for name in SPEC_CLASSES:
        assert name in defs, name


# ---- agreement on every example ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", example_names())
def test_example_verdicts_agree_with_the_published_schemas(name: str) -> None:
    doc = load_example(name)
    kind = schema_kind_for(doc)
    assert kind is not None, f"{name}: no schema kind for type {doc.get('type')}"
    assert published_ok(doc, kind), f"{name} should be valid under the published {kind} schema"
    assert validate_document(doc, kind) == []
    for other in KINDS:  # also against the schemas of the other kinds (then both say invalid)
        assert verdicts(doc, other) == (published_ok(doc, other),) * 2, f"{name} under {other}"


def test_embedded_endorsements_profiles_and_credentials_agree() -> None:
    """Endorsements, profiles and bundled credentials inside the examples, each under its own schema."""
    checked = {ENDORSEMENT: 0, PROFILE: 0, OB3: 0}
    for name in example_names():
        for path, node in nodes(load_example(name)):
            types = type_names(node)
            if not path or not types:
                continue
            if "EndorsementCredential" in types:
                kind = ENDORSEMENT
            elif "Profile" in types:
                kind = PROFILE
            elif types & {"OpenBadgeCredential", "AchievementCredential"}:
                kind = OB3
            else:
                continue
            assert verdicts(node, kind) == (True, True), f"{name}#{pointer(path)} as {kind}"
            checked[kind] += 1
    assert all(checked.values()), checked


# ---- the strict variant ------------------------------------------------------------------------------------

#: OB 3.0 examples the strict (arrays-only) variant rejects although they are valid OB 3.0.
STRICT_REJECTS = {"test-vectors/ob-v3p0-impl-guide/obv3p0/signed-credential.json"}  # "proof": {...}


@pytest.mark.parametrize("name", [n for n in example_names() if "clrv2p0" not in n and "Endorsement" not in n])
def test_strict_variant_on_the_examples(name: str) -> None:
    doc = load_example(name)
    assert strict_ok(doc) is (name not in STRICT_REJECTS)
    assert ours_ok(doc, OB3)


def _set(path: JsonPath, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        at(doc, path[:-1])[path[-1]] = value

    return apply


def _unwrap(path: JsonPath) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        at(doc, path[:-1])[path[-1]] = at(doc, path)[0]

    return apply


def _drop(path: JsonPath) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        del at(doc, path[:-1])[path[-1]]

    return apply


#: Valid for us and for the compaction-friendly schema, rejected by the strict one. Our choice: accept them
#: (JSON-LD compaction produces them and the spec tolerates them in verifiers); we never issue them.
VARIANT_DISAGREEMENTS = {
    "single proof object": _unwrap(("proof",)),
    "single credentialSchema object": _unwrap(("credentialSchema",)),
    "single evidence object": _unwrap(("evidence",)),
    "single identifier object": _unwrap(("credentialSubject", "identifier")),
    "single result object": _unwrap(("credentialSubject", "result")),
    "single alignment object": _unwrap(("credentialSubject", "achievement", "alignment")),
    "single resultDescription object": _unwrap(("credentialSubject", "achievement", "resultDescription")),
    "evidence type as a string": _set(("evidence", 0, "type"), "Evidence"),
    "subject type as a string": _set(("credentialSubject", "type"), "AchievementSubject"),
    "issuer type as a string": _set(("issuer", "type"), "Profile"),
    "achievement type as a string": _set(("credentialSubject", "achievement", "type"), "Achievement"),
    "tag as a string": _set(("credentialSubject", "achievement", "tag"), "python"),
    "@context as one string": _set(("@context",), VC2),
    "name as a language map": _set(("name",), {"en": "Python Fundamentals", "fr": "Fondamentaux de Python"}),
    "credentialStatus without id": _drop(("credentialStatus", "id")),
}


@pytest.mark.parametrize("mutation", VARIANT_DISAGREEMENTS.values(), ids=VARIANT_DISAGREEMENTS.keys())
def test_strict_variant_disagreements_follow_the_compaction_friendly_one(
    mutation: Callable[[dict[str, Any]], None],
) -> None:
    doc = issued()
    mutation(doc)
    assert (ours_ok(doc, OB3), published_ok(doc, OB3), strict_ok(doc)) == (True, True, False)


#: Odd documents the published compaction-friendly schema accepts, and so do we (on purpose, to agree with
#: it). The verifier checks these rules in code (type check, issuer id, subject id/identifier).
INHERITED_LAXNESS = {
    "credential type as one arbitrary string": _set(("type",), "Whatever"),
    "issuer as a bare URI": _set(("issuer",), "did:web:ctq.example"),
    "issuer {'id': ...} read as a language map": _set(("issuer",), {"id": "did:web:ctq.example"}),
    "criteria without id or narrative": _set(("credentialSubject", "achievement", "criteria"), {}),
    "subject without id or identifier": _drop(("credentialSubject", "identifier")),
    "identityType containing ext: anywhere": _set(("credentialSubject", "identifier", 0, "identityType"), "x ext:y"),
    "image type as a language map": _set(("image", "type"), {"en": "Image"}),
}


@pytest.mark.parametrize("mutation", INHERITED_LAXNESS.values(), ids=INHERITED_LAXNESS.keys())
def test_laxness_inherited_from_the_published_schema(mutation: Callable[[dict[str, Any]], None]) -> None:
    doc = issued()
    mutation(doc)
    assert verdicts(doc, OB3) == (True, True)


# ---- what we issue is valid everywhere ---------------------------------------------------------------------


def test_issued_credential_is_valid_under_ours_and_both_published_variants() -> None:
    doc = issued()
    assert validate_document(doc, OB3) == []
    assert published_ok(doc, OB3)
    assert strict_ok(doc), [e.message for e in strict().iter_errors(doc)]
    unsigned = issued()
    del unsigned["proof"]
    assert (ours_ok(unsigned, OB3), published_ok(unsigned, OB3), strict_ok(unsigned)) == (True, True, True)


def test_issued_credential_identity_hash_is_the_spec_algorithm() -> None:
    identity = ISSUED["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(f"{EMAIL}{identity['salt']}".encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert hashlib.sha256(b"a@example.comKosher").hexdigest() == (
        "b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )  # the spec's own vector for the same construction


# ---- negative cases: both must say invalid -----------------------------------------------------------------

#: class (by its `type`) → the properties the spec requires (standards-notes §2), for the removal sweep.
REQUIRED = {
    "OpenBadgeCredential": ("@context", "id", "type", "credentialSubject", "issuer", "validFrom"),
    "EndorsementCredential": ("@context", "type", "id", "name", "credentialSubject", "issuer", "validFrom"),
    "ClrCredential": ("@context", "type", "id", "name", "credentialSubject", "issuer", "validFrom"),
    "AchievementSubject": ("type", "achievement"),
    "EndorsementSubject": ("id", "type"),
    "ClrSubject": ("type", "verifiableCredential"),
    "Achievement": ("id", "type", "criteria", "description", "name"),
    "Alignment": ("type", "targetName", "targetUrl"),
    "ResultDescription": ("id", "type", "name", "resultType"),
    "RubricCriterionLevel": ("id", "type", "name"),
    "Result": ("type",),
    "IdentityObject": ("type", "hashed", "identityHash", "identityType"),
    "IdentifierEntry": ("type", "identifier", "identifierType"),
    "Image": ("id", "type"),
    "Evidence": ("type",),
    "Profile": ("id", "type"),
    "Address": ("type",),
    "GeoCoordinates": ("type", "latitude", "longitude"),
    "Association": ("type", "associationType", "sourceId", "targetId"),
    "DataIntegrityProof": ("type",),
    "1EdTechJsonSchemaValidator2019": ("id", "type"),
    "1EdTechRevocationList": ("type",),
    "1EdTechCredentialRefresh": ("id", "type"),
}
REMOVAL_BASES: dict[str, tuple[Callable[[], Any], str]] = {
    "issued": (lambda: issued(), OB3),
    "fullOpenBadge": (lambda: load_example("examples/ob-v3p0-spec/fullOpenBadge.json"), OB3),
    "endorsement": (
        lambda: load_example("test-vectors/ob-v3p0-spec-rendered/embedded-proof/example-04-EndorsementCredential.json"),
        ENDORSEMENT,
    ),
    "clr": (lambda: load_example("test-vectors/ob-v3p0-impl-guide/clrv2p0/unsigned-credential.json"), CLR),
}


@pytest.mark.parametrize("base", REMOVAL_BASES)
def test_removing_a_required_property_anywhere_is_invalid_for_both(base: str) -> None:
    make, kind = REMOVAL_BASES[base]
    doc = make()
    removed = 0
    for path, node in list(nodes(doc)):
        if not isinstance(node, dict):
            continue
        in_clr_bundle = kind == CLR and "verifiableCredential" in path  # generic VCs there: fewer requirements
        for cls in sorted(type_names(node) & REQUIRED.keys()):
            for key in REQUIRED[cls]:
                if key not in node or in_clr_bundle:
                    continue
                mutated = copy.deepcopy(doc)
                del at(mutated, path)[key]
                where = f"{base}: drop {pointer(path)}/{key} ({cls})"
                assert not published_ok(mutated, kind), where
                problems = validate_document(mutated, kind)
                assert (pointer(path), f"'{key}' is a required property") in problems, (where, problems)
                removed += 1
    assert removed >= 10


#: name → (mutation of the issued credential, the pointer our first problem must name)
NEGATIVE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "validFrom a number": (_set(("validFrom",), 20261123), "/validFrom"),
    "validFrom a date only": (_set(("validFrom",), "2026-11-23"), "/validFrom"),
    "validFrom without zone": (_set(("validFrom",), "2026-11-23T12:00:00"), "/validFrom"),
    "validFrom impossible day": (_set(("validFrom",), "2026-02-30T12:00:00Z"), "/validFrom"),
    "validFrom hour 24": (_set(("validFrom",), "2026-11-23T24:00:00Z"), "/validFrom"),
    "validUntil without zone": (_set(("validUntil",), "2031-11-23T12:00:00.5"), "/validUntil"),
    "awardedDate with a space": (_set(("awardedDate",), "2026-11-23 12:00:00Z"), "/awardedDate"),
    "proof created without zone": (_set(("proof", 0, "created"), "2026-11-23T12:00:01"), "/proof/0/created"),
    "@context order swapped": (_set(("@context",), [OB3_CONTEXT, VC2]), "/@context/0"),
    "@context VC 1.1": (_set(("@context",), [VC1, OB3_CONTEXT]), "/@context/0"),
    "@context without OB": (_set(("@context",), [VC2]), "/@context"),
    "@context extensions before OB": (_set(("@context",), [VC2, OB3_EXTENSIONS, OB3_CONTEXT]), "/@context/1"),
    "@context a number": (_set(("@context",), 3), "/@context"),
    "type without VerifiableCredential": (_set(("type",), ["OpenBadgeCredential"]), "/type"),
    "type without OpenBadgeCredential": (_set(("type",), ["VerifiableCredential"]), "/type"),
    "type empty": (_set(("type",), []), "/type"),
    "type with a number": (_set(("type",), ["VerifiableCredential", "OpenBadgeCredential", 3]), "/type/2"),
    "IdentityObject extra property": (
        _set(("credentialSubject", "identifier", 0, "email"), EMAIL),
        "/credentialSubject/identifier/0",
    ),
    "IdentityObject unknown identityType": (
        _set(("credentialSubject", "identifier", 0, "identityType"), "email"),
        "/credentialSubject/identifier/0/identityType",
    ),
    "IdentityObject hashed a string": (
        _set(("credentialSubject", "identifier", 0, "hashed"), "true"),
        "/credentialSubject/identifier/0/hashed",
    ),
    "IdentityObject wrong type": (
        _set(("credentialSubject", "identifier", 0, "type"), "Identity"),
        "/credentialSubject/identifier/0/type",
    ),
    "Image without id": (_set(("image",), {"type": "Image"}), "/image"),
    "Image extra property": (_set(("image", "alt"), "badge"), "/image"),
    "Image wrong type": (_set(("image", "type"), "Picture"), "/image/type"),
    "Image a URL string": (_set(("image",), "https://ctq.example/b.png"), "/image"),
    "credentialSubject empty": (_set(("credentialSubject",), {}), "/credentialSubject"),
    "credentialSubject without achievement": (
        _drop(("credentialSubject", "achievement")),
        "/credentialSubject",
    ),
    "credentialSubject an array": (
        _set(("credentialSubject",), [ISSUED["credentialSubject"]]),
        "/credentialSubject",
    ),
    "subject type without AchievementSubject": (
        _set(("credentialSubject", "type"), ["Subject"]),
        "/credentialSubject/type",
    ),
    "achievement type without Achievement": (
        _set(("credentialSubject", "achievement", "type"), ["Badge"]),
        "/credentialSubject/achievement/type",
    ),
    "achievement criteria a string": (
        _set(("credentialSubject", "achievement", "criteria"), "pass the test"),
        "/credentialSubject/achievement/criteria",
    ),
    "achievementType unknown": (
        _set(("credentialSubject", "achievement", "achievementType"), "Nanodegree"),
        "/credentialSubject/achievement/achievementType",
    ),
    "inLanguage not BCP 47": (
        _set(("credentialSubject", "achievement", "inLanguage"), "english"),
        "/credentialSubject/achievement/inLanguage",
    ),
    "creditsAvailable a string": (
        _set(("credentialSubject", "achievement", "creditsAvailable"), "1.5"),
        "/credentialSubject/achievement/creditsAvailable",
    ),
    "resultType unknown": (
        _set(("credentialSubject", "achievement", "resultDescription", 0, "resultType"), "Grade"),
        "/credentialSubject/achievement/resultDescription/0/resultType",
    ),
    "rubricCriterionLevel without name": (
        _drop(("credentialSubject", "achievement", "resultDescription", 0, "rubricCriterionLevel", 1, "name")),
        "/credentialSubject/achievement/resultDescription/0/rubricCriterionLevel/1",
    ),
    "alignment without targetUrl": (
        _drop(("credentialSubject", "achievement", "alignment", 0, "targetUrl")),
        "/credentialSubject/achievement/alignment/0",
    ),
    "result status unknown": (
        _set(("credentialSubject", "result", 0, "status"), "Passed"),
        "/credentialSubject/result/0/status",
    ),
    "result type without Result": (
        _set(("credentialSubject", "result", 0, "type"), ["Grade"]),
        "/credentialSubject/result/0/type",
    ),
    "evidence item a URL": (_set(("evidence",), ["https://ctq.example/evidence/1"]), "/evidence/0"),
    "evidence without type": (_drop(("evidence", 0, "type")), "/evidence/0"),
    "credentialSchema without id": (_drop(("credentialSchema", 0, "id")), "/credentialSchema/0"),
    "proof without type": (_drop(("proof", 0, "type")), "/proof/0"),
    "proof a string": (_set(("proof",), "z3FXQjecWufY46yg5abdV"), "/proof"),
    "endorsementJwt not a compact JWS": (_set(("endorsementJwt",), ["not a jws"]), "/endorsementJwt/0"),
    "endorsement not an EndorsementCredential": (
        _set(("endorsement",), [{k: v for k, v in ISSUED.items() if k != "credentialSubject"}]),
        "/endorsement/0",
    ),
    "issuer a number": (_set(("issuer",), 42), "/issuer"),
    "issuer without id": (_drop(("issuer", "id")), "/issuer"),
    "issuer type without Profile": (_set(("issuer", "type"), ["Organization"]), "/issuer/type"),
    "issuer dateOfBirth not a date": (_set(("issuer", "dateOfBirth"), "23/11/1990"), "/issuer/dateOfBirth"),
    "name a number": (_set(("name",), 5), "/name"),
    "name a language map with a bad tag": (_set(("name",), {"english": "x"}), "/name"),
    "credentialStatus without type": (_drop(("credentialStatus", "type")), "/credentialStatus"),
}


@pytest.mark.parametrize("case", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_negative_cases_are_invalid_for_ours_and_both_published_variants(
    case: tuple[Callable[[dict[str, Any]], None], str],
) -> None:
    mutation, where = case
    doc = issued()
    mutation(doc)
    assert verdicts(doc, OB3) == (False, False)
    assert not strict_ok(doc)
    problems = validate_document(doc, OB3)
    assert problems[0][0] == where, problems


def test_vc_1_1_credentials_are_invalid_for_both() -> None:
    doc = issued()
    doc["@context"] = [VC1, OB3_CONTEXT]
    doc["issuanceDate"] = doc.pop("validFrom")
    doc["expirationDate"] = doc.pop("validUntil")
    assert verdicts(doc, OB3) == (False, False)


# ---- sweeps and random mutations: verdicts always agree ----------------------------------------------------


def _creator_profile() -> dict[str, Any]:
    """The richest Profile of the examples (address, geo, otherIdentifier, parentOrg...), minus endorsements."""
    creator = load_example("examples/ob-v3p0-spec/fullOpenBadge.json")["credentialSubject"]["achievement"]["creator"]
    return {key: value for key, value in creator.items() if key != "endorsement"}


#: One-step sweeps cost two validations per variant (about 1,400 variants for fullOpenBadge.json, a minute), so
#: the sweeps use smaller documents; fullOpenBadge.json is covered by the removal sweep and the random mutations.
SWEEP_BASES: dict[str, tuple[Callable[[], Any], str]] = {
    "issued": (lambda: issued(), OB3),
    "basic": (lambda: load_example("examples/ob-v3p0-spec/basicOpenBadgeCredential.json"), OB3),
    "impl-guide-signed": (
        lambda: load_example("test-vectors/ob-v3p0-impl-guide/obv3p0/signed-credential.json"),
        OB3,
    ),
    "endorsement": REMOVAL_BASES["endorsement"],
    "profile": (_creator_profile, PROFILE),
    "clr": (lambda: load_example("test-vectors/ob-v3p0-impl-guide/clrv2p0/signed-credential.json"), CLR),
}


@pytest.mark.parametrize("base", SWEEP_BASES)
def test_systematic_mutations_agree(base: str) -> None:
    make, kind = SWEEP_BASES[base]
    disagreements = []
    count = invalid = 0
    for label, doc in variants(make()):
        ours, theirs = verdicts(doc, kind)
        count += 1
        invalid += not theirs
        if ours != theirs:
            disagreements.append(f"{label}: ours={ours} published={theirs} {validate_document(doc, kind)[:2]}")
    assert disagreements == []
    assert count > 20 and 0 < invalid < count


INTERESTING_VALUES: list[Any] = [
    "", "en", "Image", "Profile", "IdentityObject", "ext:thing", "emailAddress", "Completed", "Badge",
    VC2, VC1, OB3_CONTEXT, "2026-11-23T12:00:00Z", "2026-11-23T12:00:00", "2026-11-23",
    "2026-02-29T00:00:00Z", "2026-11-23t12:00:00z", "2026-11-23T12:00:60+01:00", "a.b.c", "a..c",
    {"en": "x"}, {"en-GB": 1}, {"id": "x"}, {"type": "Image", "id": "x"}, {"type": ["Profile"], "id": "x"},
    ["VerifiableCredential"], ["VerifiableCredential", "OpenBadgeCredential"], ["Achievement"], {}, [],
]  # fmt: skip
_JSON_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=6)
_JSON = st.recursive(
    _JSON_SCALARS | st.sampled_from(INTERESTING_VALUES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@cache
def corpus() -> tuple[tuple[str, str, Any], ...]:
    docs = [("issued", OB3, issued())]
    for name in example_names():
        doc = load_example(name)
        kind = schema_kind_for(doc)
        assert kind is not None
        docs.append((name, kind, doc))
    return tuple(docs)


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, str, Any]:
    name, kind, original = draw(st.sampled_from(corpus()))
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path, _ in nodes(doc) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = at(doc, path[:-1]), path[-1]
        operation = draw(st.sampled_from(["drop", "replace", "wrap", "unwrap", "add"]))
        if operation == "drop":
            del parent[key]
        elif operation == "wrap":
            parent[key] = [parent[key]]
        elif operation == "unwrap" and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key][0]
        elif operation == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.sampled_from(["id", "type", "name", "en", "extra", "caption", "salt"]))] = draw(_JSON)
        elif operation == "add" and isinstance(parent[key], list):
            parent[key].append(draw(_JSON))
        else:
            parent[key] = draw(_JSON)
    return name, kind, doc


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_documents())
def test_random_mutations_agree(case: tuple[str, str, Any]) -> None:
    name, kind, doc = case
    ours, theirs = verdicts(doc, kind)
    assert ours == theirs, f"{name} mutated: ours={ours} published={theirs}: {validate_document(doc, kind)[:3]}"
    if kind == OB3 and strict_ok(doc):
        assert ours, "the strict variant accepted what the compaction-friendly one rejects"


DATE_TIMES = [
    "2026-11-23T12:00:00Z", "2026-11-23T12:00:00.123456+05:30", "2026-11-23t12:00:00z",
    "2026-12-31T23:59:60Z", "2024-02-29T00:00:00-00:00", "2026-11-23T12:00:00", "2026-11-23",
    "2026-11-23T12:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T12:60:00Z",
    "2026-11-23T12:00:00+24:00", "2026-11-23T12:00:00.Z", "20261123T120000Z", "2026-11-23 12:00:00Z",
    "٢٠٢٦-11-23T12:00:00Z", "2026-11-23T12:00:00Z ",
]  # fmt: skip


@pytest.mark.parametrize("value", DATE_TIMES)
def test_date_time_verdicts_agree(value: str) -> None:
    doc = issued()
    doc["validFrom"] = value
    ours, theirs = verdicts(doc, OB3)
    assert ours == theirs == rfc3339_date_time(value)


# ---- the validate module's API -----------------------------------------------------------------------------


def test_schema_kind_for() -> None:
    assert schema_kind_for({"type": ["VerifiableCredential", "OpenBadgeCredential"]}) == OB3
    assert schema_kind_for({"type": ["VerifiableCredential", "AchievementCredential"]}) == OB3
    assert schema_kind_for({"type": "OpenBadgeCredential"}) == OB3
    assert schema_kind_for({"type": ["VerifiableCredential", "EndorsementCredential"]}) == ENDORSEMENT
    assert schema_kind_for({"type": ["VerifiableCredential", "ClrCredential"]}) == CLR
    assert schema_kind_for({"type": ["Profile"]}) == PROFILE
    assert schema_kind_for({"type": ["VerifiableCredential"]}) is None
    assert schema_kind_for({"type": 3}) is None
    assert schema_kind_for({}) is None


def test_unknown_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown schema kind 'ob2-assertion'"):
        validate_document({}, "ob2-assertion")


def test_the_message_format_of_the_brief() -> None:
    doc = issued()
    del doc["credentialSubject"]["achievement"]["criteria"]
    assert validate_document(doc, OB3) == [("/credentialSubject/achievement", "'criteria' is a required property")]


def test_problems_start_with_the_best_match_then_follow_document_order() -> None:
    doc = issued()
    doc["validFrom"] = "yesterday"
    del doc["@context"]
    doc["evidence"][0]["type"] = ["Proof"]
    problems = validate_document(doc, OB3)
    assert problems[0] == ("", "'@context' is a required property")
    assert [p for p, _ in problems[1:]] == ["/evidence/0/type", "/validFrom"]
    assert problems[2][1] == "'yesterday' is not a valid date-time with a time zone"  # reported once, not twice
    assert problems[1][1] == "must contain 'Evidence'"


def test_problems_are_one_line_pointers_and_at_most_max_problems() -> None:
    doc = issued()
    doc["evidence"] = [{"id": f"https://ctq.example/e/{i}", "type": [f"Wrong\n{i}"]} for i in range(30)]
    doc["name"] = "x\ny"
    problems = validate_document(doc, OB3)
    assert len(problems) == MAX_PROBLEMS
    for where, message in problems:
        assert where.startswith("/evidence/")
        assert "\n" not in message and len(message) <= 300


def test_alternatives_report_the_branch_that_fits() -> None:
    doc = issued()
    doc["issuer"] = {"id": "did:web:ctq.example", "name": "CTQ"}  # an object: the Profile reading, not a map
    doc["credentialSubject"]["achievement"]["achievementType"] = "Nanodegree"
    problems = dict(validate_document(doc, OB3))
    assert problems["/issuer"] == "'type' is a required property"
    message = problems["/credentialSubject/achievement/achievementType"]
    assert message.startswith("'Nanodegree' is not allowed here (expected one of 'Achievement',")
    assert "ext:" in message


def test_mappings_and_tuples_are_accepted() -> None:
    doc = issued()
    frozen = MappingProxyType({**doc, "type": tuple(doc["type"]), "issuer": MappingProxyType(doc["issuer"])})
    assert validate_document(frozen, OB3) == []


def test_validate_or_raise() -> None:
    validate_or_raise(issued(), OB3)
    doc = issued()
    doc["validFrom"] = "2026-11-23"
    doc["image"] = {"type": "Image"}
    with pytest.raises(SchemaError) as caught:
        validate_or_raise(doc, OB3)
    assert caught.value.problems == validate_document(doc, OB3)
    assert str(caught.value) == (
        f"the document does not match the {OB3} JSON Schema: /image: 'id' is a required property (and 1 more)"
    )
    assert caught.value.code == "schema_error"
