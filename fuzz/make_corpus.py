"""Write seed corpora for the atheris targets in fuzz/fuzz_targets.py.

    python fuzz/make_corpus.py [OUT_DIR] [--vectors DIR]

OUT_DIR defaults to fuzz/corpus/ (git-ignored); one sub-folder per target, one file per seed, named by the SHA-1 of
its content like libFuzzer names its own finds (so re-running adds nothing twice). The seeds are read at run time
from the shared test vectors (default ../shared/vectors next to the repository, or $BADGE_VECTORS) — credentials,
VC-JWTs, baked PNG/SVG — plus what this library issues itself: a CTQ credential (Data Integrity and VC-JWT), baked
into a PNG and an SVG, did:web / did:key documents, and status lists. Nothing from the vectors is copied into the
repository.

Byte-level targets get the files themselves. Structure-aware targets (jsonld, jws_structured, web_forms) get
programs for their :class:`Provider`: a few fixed pseudo-random byte strings, each also followed by
``fuzz_targets.SEP`` and a real credential, so the fuzzer starts from real documents and mutates them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import random
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _targets_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_targets", HERE / "fuzz_targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(root: Path, *patterns: str) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def _json_credentials(vectors: Path) -> list[bytes]:
    """Every JSON object in the vectors' examples, test vectors and fixtures (not contexts or schemas)."""
    out = []
    for path in _files(vectors, "examples/**/*.json", "test-vectors/**/*.json", "fixtures/**/*.json"):
        data = path.read_bytes()
        try:
            if isinstance(json.loads(data), dict):
                out.append(data)
        except ValueError:
            continue
    return out


def _linked_data(documents: Iterable[bytes]) -> list[bytes]:
    """The JSON-LD credentials among ``documents`` (those with an @context), minified."""
    out = []
    for data in documents:
        doc = json.loads(data)
        if isinstance(doc, dict) and "@context" in doc and "credentialSubject" in doc:
            out.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return out


def build(vectors: Path, ft: ModuleType | None = None) -> dict[str, list[bytes]]:
    """Target name → seeds (``ft``: the loaded fuzz_targets module, loaded here when not given)."""
    ft = ft or _targets_module()
    from openbadge_ctq.bake import bake_png, bake_svg
    from openbadge_ctq.did import build_did_web_document, resolve_did_key
    from openbadge_ctq.keys import did_key_from_public_key, public_key_to_multibase
    from openbadge_ctq.status import MIN_LIST_BITS, encode_bitstring, set_bits

    if not vectors.is_dir():
        print(f"warning: no shared vectors at {vectors}; seeding from the library's documents only", file=sys.stderr)
    issued = ft._issued()
    di = json.dumps(issued["di"], ensure_ascii=False).encode("utf-8")
    jwt = issued["jwt"].encode("ascii")
    credentials = [*_json_credentials(vectors), di]
    jwts = [p.read_bytes().strip() for p in _files(vectors, "**/*.jwt")] + [jwt]
    pngs = [p.read_bytes() for p in _files(vectors, "**/*.png")]
    svgs = [p.read_bytes() for p in _files(vectors, "**/*.svg")]
    art_png = next((p for p in pngs if b"openbadge" not in p), ft._tiny_png())
    unbaked_svgs = [s for s in svgs if b"openbadges:" not in s] or [
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    ]
    baked_pngs = [bake_png(art_png, di.decode("utf-8")), bake_png(art_png, jwt.decode("ascii"))]
    baked_svgs = [bake_svg(unbaked_svgs[0], di.decode("utf-8")), bake_svg(unbaked_svgs[0], jwt.decode("ascii"))]

    keys = ft._keys()
    pub = {name: key.public_key() for name, key in keys.items()}
    did_docs = [
        build_did_web_document(
            "did:web:example.org",
            [("key-1", pub["ed"]), ("key-ec", pub["ec"]), ("key-rsa", pub["rsa"])],
            retired=[("key-0", pub["ed2"])],
        ),
        build_did_web_document("did:web:example.org", [("key-1", pub["ec"])]),
        resolve_did_key(did_key_from_public_key(pub["ed"])),
        resolve_did_key(did_key_from_public_key(pub["ec"])),
        {
            "id": "did:web:example.org",
            "verificationMethod": [
                {
                    "id": "#key-1",
                    "type": "Ed25519VerificationKey2020",
                    "controller": "did:web:example.org",
                    "publicKeyMultibase": public_key_to_multibase(pub["ed"]),
                }
            ],
            "assertionMethod": ["#key-1"],
            "authentication": [{"id": "did:web:example.org#key-2", "controller": "did:web:example.org"}],
        },
    ]
    lists = [
        set_bits(MIN_LIST_BITS, []),
        set_bits(MIN_LIST_BITS, [0, 7, 8, 1000, MIN_LIST_BITS - 1]),
        set_bits(8 * 64, [3]),
    ]
    encoded = [encode_bitstring(bits) for bits in lists]
    status = [
        *(e.encode("ascii") for e in encoded),
        *(base64.b64encode(base64.urlsafe_b64decode(e[1:] + "==")) for e in encoded),  # StatusList2021: no "u"
        b"\x00\xbb" + b"\x00" * 14,  # the harness's 16 MiB + 1 gzip bomb
    ]

    rng = random.Random(20261123)
    programs = [b""] + [bytes(rng.randrange(256) for _ in range(n)) for n in (8, 16, 32, 64, 64, 128, 256)]
    linked = _linked_data(credentials)

    def structured(docs: list[bytes]) -> list[bytes]:
        out = list(programs)
        for i, doc in enumerate(docs):
            out.append(ft.SEP + doc)
            out.append(programs[1 + i % (len(programs) - 1)] + ft.SEP + doc)
        return out

    return {
        "verify": [*credentials, *jwts, *pngs, *svgs, *baked_pngs, *baked_svgs],
        "unbake_png": [*pngs, *baked_pngs],
        "unbake_svg": [*svgs, *baked_svgs],
        "jws": jwts,
        "parse_json": [*credentials, *(json.dumps(d).encode() for d in did_docs)],
        "status_list": status,
        "did_document": [json.dumps(d).encode() for d in did_docs],
        "jsonld": structured(linked),
        "jws_structured": structured([di, *linked[:4]]),
        "web_forms": structured([di, *linked[:2]]),
    }


def write(corpora: dict[str, list[bytes]], out: Path, only: Iterable[str] = ()) -> dict[str, int]:
    """Write each seed as OUT/TARGET/SHA1; returns target → number of seed files."""
    counts = {}
    wanted = set(only)
    for target, seeds in corpora.items():
        if wanted and target not in wanted:
            continue
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        counts[target] = len({hashlib.sha1(s).hexdigest() for s in seeds})
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", default=str(HERE / "corpus"), help="output folder (default fuzz/corpus/)")
    parser.add_argument("--vectors", default=None, help="the shared vectors folder (default ../shared/vectors)")
    parser.add_argument("--target", action="append", default=[], help="only this target (repeatable)")
    args = parser.parse_args(argv)
    ft = _targets_module()
    vectors = Path(args.vectors) if args.vectors else ft.VECTORS
    counts = write(build(vectors, ft), Path(args.out), args.target)
    for target, n in counts.items():
        print(f"{target}: {n} seeds in {Path(args.out) / target}")


if __name__ == "__main__":
    main()
