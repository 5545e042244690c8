"""``python -m bench [--quick] [--json]``: throughput of signing and verifying, one core, one thread.

For every target: our figure (operations per second), the pyld-only baseline measured in the same run where
JSON-LD is involved, the ratio, and the goal (issue 9: eddsa-rdfc-2022 sign and verify ≥ 2,000/s). Timing:
``time.perf_counter``, a warm-up call, then the best of N timed batches. ``--quick`` runs each target for a
fraction of a second and fails only on errors (a wrong signature, a declined document, a failed verification),
never on speed; the full run exits 1 when a goal is missed.

"Ours" for Data Integrity is the fast canonicalisation path (:mod:`openbadge_ctq.fastld`, falling back to pyld
when it declines). Once :func:`openbadge_ctq.jsonld.canonicalize` takes ``engine=``, the library's own
``data_integrity.create_proof``/``verify_proof`` are timed as "ours" and ``engine="pyld"`` is the baseline.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import importlib.metadata
import inspect
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openbadge_ctq import Evidence, Recipient, SigningKey, issue_credential, load_catalog, verify
from openbadge_ctq.bake import bake_png, unbake_png
from openbadge_ctq.fastld import canonicalize_fast
from openbadge_ctq.jsonld import DEFAULT_LOADER, canonicalize
from openbadge_ctq.keys import base58btc_decode, base58btc_encode, multibase_to_public_key, public_key_to_jwk
from openbadge_ctq.proofs import data_integrity
from openbadge_ctq.proofs.jws import decode_compact, verify_signature
from openbadge_ctq.proofs.vc_jwt import claim_problems, parse_jwt, sign_jwt
from openbadge_ctq.validate import schema_kind_for, validate_document

GOAL_DI = 2000.0
GOAL_JWT_SIGN = 15000.0
GOAL_JWT_VERIFY = 5000.0
GOAL_RS256_VERIFY = 3000.0
GOAL_BAKED = 1000.0
GOAL_BULK = 50_000 / 60
NOW = datetime(2026, 11, 23, tzinfo=UTC)
VERIFY_AT = "2026-11-24T00:00:00Z"

# The OB 3.0 Implementation Guide's eddsa-rdfc-2022 vector (obv3p0): unsigned credential, proof options and key
# (the same files as shared/vectors/test-vectors/ob-v3p0-impl-guide/obv3p0/, embedded so the bench runs alone).
IMPL_GUIDE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "https://example.edu/issuers/565049",
        "type": ["Profile"],
        "url": "https://www.imsglobal.org",
        "name": "Example Corp",
    },
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {
                "narrative": "Team members are nominated for this badge by their peers and recognized upon review by "
                "Example Corp management."
            },
            "description": "This badge recognizes the development of the capacity to collaborate within a group "
            "environment.",
            "name": "Teamwork",
        },
    },
}
IMPL_GUIDE_OPTIONS: dict[str, Any] = {
    "type": "DataIntegrityProof",
    "created": "2010-01-01T19:23:24Z",
    "verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
    "cryptosuite": "eddsa-rdfc-2022",
    "proofPurpose": "assertionMethod",
}
IMPL_GUIDE_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
IMPL_GUIDE_PROOF_VALUE = "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"

# peers' best single-core figures (shared/docs/landscape.md), for context only
PEERS = {
    "di-sign": "digitalbazaar/vc 170–270/s; openbadgeslib (pyld) 68–84/s",
    "di-verify": "digitalbazaar/vc 180–350/s; openbadgeslib (pyld) 59–80/s",
    "jwt-sign": "openbadgeslib 9–14.5k/s",
    "jwt-verify": "openbadgeslib 1.7–2.7k/s",
    "rs256-verify": "openbadgeslib 1.7–3.0k/s",
}

Canon = Callable[[dict[str, Any]], str]
_WIRED = "engine" in inspect.signature(canonicalize).parameters


class BenchError(Exception):
    """A correctness failure: the benchmark's operation did not do what it must."""


def canon_pyld(doc: dict[str, Any]) -> str:
    if _WIRED:
        return canonicalize(doc, loader=DEFAULT_LOADER, **{"engine": "pyld"})
    return canonicalize(doc, loader=DEFAULT_LOADER)


def canon_fast(doc: dict[str, Any]) -> str:
    out = canonicalize_fast(doc, loader=DEFAULT_LOADER)
    return out if out is not None else canon_pyld(doc)


def hash_data(document: dict[str, Any], options: dict[str, Any], canon: Canon) -> bytes:
    """data_integrity.hash_data with a chosen canonicaliser."""
    config = {k: v for k, v in options.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    return hashlib.sha256(canon(config).encode()).digest() + hashlib.sha256(canon(document).encode()).digest()


def di_sign(document: dict[str, Any], options: dict[str, Any], key: Ed25519PrivateKey, canon: Canon) -> str:
    """data_integrity.create_proof with a chosen canonicaliser; returns the proofValue."""
    return "z" + base58btc_encode(key.sign(hash_data(document, options, canon)))


def di_verify(document: dict[str, Any], proof: dict[str, Any], key: Ed25519PublicKey, canon: Canon) -> bool:
    """data_integrity.verify_proof with a chosen canonicaliser (the signature part)."""
    value = proof["proofValue"]
    signature = base58btc_decode(value[1:])
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        key.verify(signature, hash_data(unsecured, proof, canon))
    except Exception:
        return False
    return True


@dataclass
class Result:
    target: str
    ours_per_s: float
    baseline_per_s: float | None
    ratio: float | None
    goal_per_s: float | None
    met: bool | None
    peers: str
    note: str


def measure(fn: Callable[[], object], *, budget: float, repeats: int) -> float:
    """Operations per second: warm up, size a batch to last budget/repeats, return the best batch."""
    fn()
    n, elapsed = 1, 0.0
    while True:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= 0.02 or n >= 1 << 20:
            break
        n *= 2
    per_batch = max(1, round(n * (budget / repeats) / max(elapsed, 1e-9)))
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_batch):
            fn()
        best = min(best, (time.perf_counter() - started) / per_batch)
    return 1.0 / best


def _di_operations(
    doc: dict[str, Any], options: dict[str, Any], key: Ed25519PrivateKey, signed: dict[str, Any]
) -> tuple[Callable[[], object], Callable[[], bool]]:
    """Our sign and verify: the library's own functions once jsonld.canonicalize dispatches, else the helpers."""
    proof = signed["proof"][0]
    public = key.public_key()
    if _WIRED:
        created = datetime.fromisoformat(options["created"].replace("Z", "+00:00"))
        vm = options["verificationMethod"]

        def sign_ours() -> object:
            return data_integrity.create_proof(doc, key, verification_method=vm, created=created)

        def verify_ours() -> bool:
            return data_integrity.verify_proof(signed, proof, public).valid

        if data_integrity.create_proof(doc, key, verification_method=vm, created=created) != proof:
            raise BenchError("data_integrity.create_proof does not reproduce the proof")
        return sign_ours, verify_ours
    return (
        lambda: di_sign(doc, options, key, canon_fast),
        lambda: di_verify(signed, proof, public, canon_fast),
    )


def ctq_credential() -> dict[str, Any]:
    issued = issue_credential(
        load_catalog(),
        "writing-publicly-to-influence-colleagues",
        Recipient(email="t@example.org", name="T"),
        SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), "k"),
        fmt="ob3-di",
        now=NOW,
        levels="Exemplary",
        evidence=[Evidence(url="https://example.org/a", name="A", narrative="n")],
    )
    return dict(issued.credential)


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "pyld": importlib.metadata.version("pyld"),
        "jsonld_canonicalize_engine_option": _WIRED,
    }


def run(quick: bool, bulk_rows: int = 50_000) -> list[Result]:
    budget, repeats = (0.15, 2) if quick else (2.0, 5)
    results: list[Result] = []

    def add(
        target: str,
        ours: Callable[[], object],
        baseline: Callable[[], object] | None,
        *,
        goal: float | None = None,
        peers: str = "",
        note: str = "",
    ) -> None:
        ours_rate = measure(ours, budget=budget, repeats=repeats)
        base_rate = measure(baseline, budget=budget / 2, repeats=repeats) if baseline is not None else None
        ratio = ours_rate / base_rate if base_rate else None
        met = ours_rate >= goal if goal is not None else None
        results.append(Result(target, ours_rate, base_rate, ratio, goal, met, peers, note))
        print(_row(results[-1]), file=sys.stderr, flush=True)

    # ---- eddsa-rdfc-2022 (Data Integrity) ------------------------------------------------------------------
    ig_key = Ed25519PrivateKey.from_private_bytes(IMPL_GUIDE_SEED)
    ctq = ctq_credential()
    ctq_unsigned = {k: v for k, v in ctq.items() if k != "proof"}
    ctq_proof = ctq["proof"][0]
    ctq_options = {k: v for k, v in ctq_proof.items() if k != "proofValue"}
    ctq_key = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
    for label, doc in (("impl guide", IMPL_GUIDE), ("CTQ credential", ctq_unsigned)):
        if canonicalize_fast(doc, loader=DEFAULT_LOADER) is None:
            raise BenchError(f"the fast path declined the {label}")
        if canon_fast(doc) != canon_pyld(doc):
            raise BenchError(f"the fast path and pyld disagree on the {label}")
    cases = (
        ("impl guide credential", IMPL_GUIDE, IMPL_GUIDE_OPTIONS, ig_key, IMPL_GUIDE_PROOF_VALUE),
        ("CTQ credential", ctq_unsigned, ctq_options, ctq_key, ctq_proof["proofValue"]),
    )
    for label, doc, options, key, expected in cases:
        for canon in (canon_fast, canon_pyld):
            if di_sign(doc, options, key, canon) != expected:
                raise BenchError(f"{label}: {canon.__name__} does not reproduce the proofValue")
        signed = {**doc, "proof": [{**options, "proofValue": expected}]}
        proof = signed["proof"][0]
        public = key.public_key()
        sign_ours, verify_ours = _di_operations(doc, options, key, signed)
        if not verify_ours() or not di_verify(signed, proof, public, canon_pyld):
            raise BenchError(f"{label}: the proof does not verify")
        add(
            f"eddsa-rdfc-2022 sign — {label}",
            sign_ours,
            functools.partial(di_sign, doc, options, key, canon_pyld),
            goal=GOAL_DI,
            peers=PEERS["di-sign"],
            note="create_proof: canonicalize(proof options) + canonicalize(document) + Ed25519 sign",
        )
        add(
            f"eddsa-rdfc-2022 verify (proof) — {label}",
            verify_ours,
            functools.partial(di_verify, signed, proof, public, canon_pyld),
            goal=GOAL_DI,
            peers=PEERS["di-verify"],
            note="verify_proof: both canonicalisations + Ed25519 verify",
        )
    add(
        "RDFC-1.0 canonicalize — CTQ credential",
        lambda: canon_fast(ctq_unsigned),
        lambda: canon_pyld(ctq_unsigned),
        note="one document, ~140 quads; the proof options are ~6 quads",
    )

    # ---- end to end (as the library is wired now) -----------------------------------------------------------
    report = verify(ctq, now=VERIFY_AT)
    if not report.verified:
        raise BenchError(f"the CTQ credential does not verify: {[c.message for c in report.errors]}")
    kind = schema_kind_for(ctq)
    if kind is None or validate_document(ctq, kind):
        raise BenchError("the CTQ credential does not match its JSON Schema")
    engine = "the fast path" if _WIRED else "pyld (jsonld.canonicalize is not wired to the fast path yet)"
    add(
        "openbadge_ctq.verify end to end — CTQ credential",
        lambda: verify(ctq, now=VERIFY_AT),
        None,
        peers=PEERS["di-verify"],
        note=f"every check, offline (did:key); JSON-LD through {engine}",
    )
    add(
        "  of which JSON Schema validation — CTQ credential",
        lambda: validate_document(ctq, kind),
        None,
        note="jsonschema Draft 2020-12 with format checks",
    )

    # ---- VC-JWT -------------------------------------------------------------------------------------------
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_public = rsa_key.public_key()
    for label, doc, key in (("impl guide credential", IMPL_GUIDE, ig_key), ("CTQ credential", ctq_unsigned, ctq_key)):
        token = sign_jwt(doc, key, kid="did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX#k")
        public = key.public_key()

        def jwt_verify(token: str = token, public: Any = public) -> bool:
            parsed = parse_jwt(token)
            ok = verify_signature(parsed.jws, public)
            return ok and not claim_problems(parsed)[0]

        if not jwt_verify():
            raise BenchError(f"the EdDSA VC-JWT of the {label} does not verify")
        add(
            f"VC-JWT EdDSA sign — {label}",
            functools.partial(sign_jwt, doc, key, kid="k"),
            None,
            goal=GOAL_JWT_SIGN,
            peers=PEERS["jwt-sign"],
            note=f"registered claims + JSON + base64url + Ed25519 ({len(token):,} bytes)",
        )
        add(
            f"VC-JWT EdDSA verify — {label}",
            jwt_verify,
            None,
            goal=GOAL_JWT_VERIFY,
            peers=PEERS["jwt-verify"],
            note="parse + Ed25519 verify + claim checks (no schema, no key resolution)",
        )
        signing_input, _, signature = token.rpartition(".")
        message = signing_input.encode("ascii")
        raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        add(
            f"  bound: Ed25519 alone, sign {len(message):,} bytes — {label}",
            functools.partial(key.sign, message),
            None,
            note="the signature over the JWT signing input and nothing else: the ceiling for VC-JWT sign",
        )
        add(
            f"  bound: Ed25519 alone, verify {len(message):,} bytes — {label}",
            functools.partial(public.verify, raw_signature, message),
            None,
            note="the ceiling for VC-JWT verify",
        )
        rsa_token = sign_jwt(doc, rsa_key, embed_jwk=True)
        if public_key_to_jwk(rsa_public)["kty"] != "RSA" or not verify_signature(decode_compact(rsa_token), rsa_public):
            raise BenchError("the RS256 VC-JWT does not verify")
        add(
            f"VC-JWT RS256 verify — {label}",
            lambda rsa_token=rsa_token: verify_signature(parse_jwt(rsa_token).jws, rsa_public),
            None,
            goal=GOAL_RS256_VERIFY,
            peers=PEERS["rs256-verify"],
            note="parse + RSA-2048 PKCS#1 v1.5 verify",
        )

    # ---- baked PNG -> unbake -> verify -------------------------------------------------------------------
    png = (Path(__file__).resolve().parents[1] / "issuers/ctq/images/wpi-colleagues.png").read_bytes()
    for label, doc in (
        (
            "impl guide credential",
            {**IMPL_GUIDE, "proof": [{**IMPL_GUIDE_OPTIONS, "proofValue": IMPL_GUIDE_PROOF_VALUE}]},
        ),
        ("CTQ credential", ctq),
    ):
        baked = bake_png(png, json.dumps(doc))
        if unbake_png(baked).payload != json.dumps(doc):
            raise BenchError("baking does not round-trip")

        def baked_verify(baked: bytes = baked) -> bool:
            payload = unbake_png(baked).payload
            signed = json.loads(payload)
            unsecured = {k: v for k, v in signed.items() if k != "proof"}
            proof = signed["proof"][0]
            public = multibase_to_public_key(proof["verificationMethod"].split("#")[-1])
            return data_integrity.verify_proof(unsecured, proof, public).valid

        if not baked_verify():
            raise BenchError(f"the baked {label} does not verify")
        add(
            f"baked PNG → unbake → verify (DI proof) — {label}",
            baked_verify,
            None,
            goal=GOAL_BAKED,
            peers="openbadgeslib: baked SVG → extract → verify 1.1–1.45k/s",
            note=f"PNG chunk walk with CRC checks + JSON + eddsa-rdfc-2022 verify ({len(baked):,} bytes)",
        )
        add(
            f"baked PNG → openbadge_ctq.verify end to end — {label}",
            lambda baked=baked: verify(baked, now=VERIFY_AT).verified,
            None,
            note="every check of the report (schema, binding, dates, ...), offline",
        )

    # ---- bulk issuance: registry + eddsa-rdfc-2022 + baked PNG, in a separate process for clean memory figures --
    rows, baseline_rows = (300, 100) if quick else (bulk_rows, 500)
    command = [sys.executable, "-m", "bench.bulk", "--rows", str(rows), "--baseline-rows", str(baseline_rows), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise BenchError(f"bulk issuance failed: {(done.stdout + done.stderr).strip()[-2000:]}")
    f = json.loads(done.stdout)
    results.append(
        Result(
            f"bulk issuance of {rows:,} (registry + DI + baked PNG)",
            f["per_s"],
            f["baseline_per_s"],
            f["per_s"] / f["baseline_per_s"],
            GOAL_BULK,
            f["per_s"] >= GOAL_BULK,
            "",
            f"{f['seconds']:.1f} s with {f['workers']} workers (goal: 50,000 in ≤ 60 s); baseline: one row at a time "
            f"in one process ({baseline_rows} rows); peak RSS parent {f['parent_peak_mb']:.0f} MB, largest worker "
            f"{f['worker_peak_mb']:.0f} MB; parent RSS after 10 % {f['parent_rss_early_mb']:.0f} MB, at the end "
            f"{f['parent_rss_end_mb']:.0f} MB",
        )
    )
    print(_row(results[-1]), file=sys.stderr, flush=True)
    print(f"    {results[-1].note}", file=sys.stderr, flush=True)
    return results


def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}/s" if value >= 10 else f"{value:,.1f}/s"


def _row(r: Result) -> str:
    ratio = f"{r.ratio:,.1f}×" if r.ratio is not None else "—"
    goal = "" if r.goal_per_s is None else f"  goal ≥ {r.goal_per_s:,.0f}/s {'met' if r.met else 'MISSED'}"
    return f"{r.target:<52} {_rate(r.ours_per_s):>12} {_rate(r.baseline_per_s):>10} {ratio:>8}{goal}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fraction of a second per target; never fails on speed")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--bulk-rows", type=int, default=50_000, help="rows for the bulk issuance target")
    args = parser.parse_args(argv)
    info = machine()
    print(
        f"{info['cpu']} · {info['nproc']} CPU · Python {info['python']} · pyld {info['pyld']}"
        f"{' · quick run' if args.quick else ''}",
        file=sys.stderr,
    )
    print(f"{'target':<52} {'ours':>12} {'pyld':>10} {'ratio':>8}", file=sys.stderr)
    try:
        results = run(args.quick, args.bulk_rows)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"machine": info, "quick": args.quick, "results": [asdict(r) for r in results]}, indent=2))
    missed = [r.target for r in results if r.met is False]
    if missed and not args.quick:
        print(f"bench: goals missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
