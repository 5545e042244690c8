"""Time-boxed fuzzing of the parsers and verify() (harnesses in fuzz/fuzz_targets.py).

With atheris installed (a test dependency: ``atheris>=2.3``), each harness runs for FUZZ_SECONDS (default 10) under
libFuzzer in a subprocess; a crash is a failure that prints the crashing input. Without atheris, the same harnesses
run under hypothesis ``@given(st.binary())`` instead, so the test never skips.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "fuzz" / "fuzz_targets.py"
SECONDS = int(os.environ.get("FUZZ_SECONDS", "10"))
HAVE_ATHERIS = importlib.util.find_spec("atheris") is not None


def _targets() -> dict[str, Callable[[bytes], None]]:
    spec = importlib.util.spec_from_file_location("fuzz_targets", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.TARGETS)


TARGETS = _targets()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_harness_runs(name: str, tmp_path: Path) -> None:
    if HAVE_ATHERIS:
        result = subprocess.run(
            [
                sys.executable,
                str(HARNESS),
                name,
                f"-max_total_time={SECONDS}",
                "-rss_limit_mb=3072",
                "-max_len=4096",
                f"-artifact_prefix={tmp_path}/",
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 120,
            cwd=ROOT,
        )
        tail = (result.stdout + result.stderr)[-4000:]
        assert result.returncode == 0, f"fuzz target {name} crashed:\n{tail}"
        assert "Done " in tail and "runs in" in tail, tail
    else:
        _hypothesis_run(TARGETS[name])


def _hypothesis_run(target: Callable[[bytes], None]) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=4096))
    def run(data: bytes) -> None:
        target(data)

    run()


SEEDS = [
    b"",
    b"\x00\xbb" + b"\x00" * 62,  # a gzip bomb for the status list harness
    b"{}",
    b'{"id": "did:web:example.org", "verificationMethod": [{"id": "#key-1"}], "assertionMethod": ["#key-1"]}',
    b"eyJhbGciOiJFZERTQSJ9.e30.AAAA",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"<svg xmlns='http://www.w3.org/2000/svg'><openbadges:credential/></svg>",
    b"[" * 5000,
    b"1" * 5000,
]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_harness_seeds(name: str) -> None:
    """The hand-picked seeds: each target accepts them without an unexpected exception."""
    for seed in SEEDS:
        TARGETS[name](seed)
