"""Atheris harnesses for the parsers and for verify().

    python fuzz/fuzz_targets.py TARGET [libFuzzer options, e.g. -max_total_time=120 -rss_limit_mb=2048]
    python fuzz/fuzz_targets.py list

A parser may raise only the library's own ``BadgeError`` subclasses; ``verify()`` may raise nothing at all and must
not report an internal error. Anything else propagates, and atheris reports it as a crash with the input that
caused it. ``tests/security/test_fuzz_parsers.py`` imports ``TARGETS`` and runs each for a few seconds.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _errors() -> type[Exception]:
    from openbadge_ctq.errors import BadgeError

    return BadgeError


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def fuzz_verify(data: bytes) -> None:
    from openbadge_ctq.verify import INTERNAL_ERROR, verify

    for source in (data, _text(data)):
        report = verify(source, now=NOW)
        json.dumps(report.to_json())
        if any(INTERNAL_ERROR in c.message for c in report.checks):
            raise AssertionError(f"verify() hit an internal error: {report.to_json()['checks']}")


def fuzz_unbake_png(data: bytes) -> None:
    from openbadge_ctq.bake import unbake_png

    png = b"\x89PNG\r\n\x1a\n" + data if not data.startswith(b"\x89PNG") else data
    with contextlib.suppress(_errors()):
        unbake_png(png)


def fuzz_unbake_svg(data: bytes) -> None:
    from openbadge_ctq.bake import unbake_svg

    for svg in (data, _text(data)):
        with contextlib.suppress(_errors()):
            unbake_svg(svg)


def fuzz_jws(data: bytes) -> None:
    from openbadge_ctq.proofs.jws import decode_compact

    with contextlib.suppress(_errors()):
        decode_compact(_text(data))


def fuzz_parse_json(data: bytes) -> None:
    from openbadge_ctq.verify.sniff import parse_json

    for source in (data, _text(data)):
        with contextlib.suppress(_errors()):
            parse_json(source)


def fuzz_status_list(data: bytes) -> None:
    """Base64 text, and gzip of the input (a small input can expand to a bomb: the cap must hold)."""
    import base64

    from openbadge_ctq.status import decode_bitstring, get_bit

    candidates = [_text(data), "u" + base64.urlsafe_b64encode(gzip.compress(data * 64)).decode()]
    if data[:2] == b"\x00\xbb":  # a gzip bomb: zeros just past the 16 MiB cap compress to ~16 KiB
        candidates.append(_bomb())
    for encoded in candidates:
        with contextlib.suppress(_errors()):
            bits = decode_bitstring(encoded)
            get_bit(bits, int.from_bytes(data[:4].ljust(4, b"\0"), "big"))


_BOMB: list[str] = []


def _bomb() -> str:
    import base64

    from openbadge_ctq.status import MAX_LIST_BITS

    if not _BOMB:
        _BOMB.append("u" + base64.urlsafe_b64encode(gzip.compress(bytes(MAX_LIST_BITS // 8 + 1))).decode())
    return _BOMB[0]


def fuzz_did_document(data: bytes) -> None:
    from openbadge_ctq.did import find_verification_method
    from openbadge_ctq.verify.sniff import parse_json

    try:
        doc = parse_json(data)
    except _errors():
        doc = {"id": "did:web:example.org", "verificationMethod": _text(data)}
    vm_ids = ["#key-1", "did:web:example.org#key-1"]
    if isinstance(doc, dict):
        for vm in doc.get("verificationMethod") or [] if isinstance(doc.get("verificationMethod"), list) else []:
            if isinstance(vm, dict) and isinstance(vm.get("id"), str):
                vm_ids.append(vm["id"])
    for vm_id in vm_ids[:4]:
        for purpose in ("assertionMethod", "authentication"):
            with contextlib.suppress(_errors()):
                find_verification_method(doc, vm_id, purpose=purpose)  # type: ignore[arg-type]


TARGETS: dict[str, Callable[[bytes], None]] = {
    "verify": fuzz_verify,
    "unbake_png": fuzz_unbake_png,
    "unbake_svg": fuzz_unbake_svg,
    "jws": fuzz_jws,
    "parse_json": fuzz_parse_json,
    "status_list": fuzz_status_list,
    "did_document": fuzz_did_document,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        print("targets: " + ", ".join(TARGETS))
        raise SystemExit(0 if len(sys.argv) > 1 and sys.argv[1] == "list" else 2)
    import atheris

    target = TARGETS[sys.argv[1]]
    with atheris.instrument_imports(include=["openbadge_ctq"]):
        import openbadge_ctq.bake
        import openbadge_ctq.did
        import openbadge_ctq.proofs.jws
        import openbadge_ctq.status
        import openbadge_ctq.verify
        import openbadge_ctq.verify.sniff  # noqa: F401
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
