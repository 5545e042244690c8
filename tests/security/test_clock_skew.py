"""Clock skew: ``verify(max_clock_skew=...)`` forgives a verifier's clock that is slightly off, and nothing more.

A credential whose ``validFrom`` is a little in the future (the issuer's clock runs ahead), or whose ``validUntil``
passed a moment ago, verifies when the difference is within the skew, and fails the ``dates`` check (with the
pointer of the date) when it is beyond it. Both ends are inclusive. The VC-JWT carries the same moments as ``nbf``
and ``exp``; an ``exp`` without a ``validUntil`` expires the JWT too (regression). A negative, absurd or
mistyped skew is refused with a clear error instead of silently widening or narrowing the window (regression).

Time is always passed in (``now``); nothing here reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.errors import InputError
from openbadge_ctq.identity import Recipient
from openbadge_ctq.issue import issue_credential
from openbadge_ctq.model import Catalog
from openbadge_ctq.proofs.jws import decode_compact, encode_compact
from openbadge_ctq.verify import MAX_CLOCK_SKEW, Check, Status, VerificationReport

from ..unit.test_registry import CTQ_MC, KEY

SKEW = timedelta(minutes=5)
WITHIN = timedelta(minutes=2)  # less than SKEW
BEYOND = timedelta(minutes=7)  # more than SKEW
FORMATS = ("ob3-di", "ob3-jwt")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def issue(catalog: Catalog, fmt: str, *, at: datetime, valid_until: datetime | None = None) -> str:
    """A ctq credential (did:key issuer, so it verifies offline) with validFrom ``at``."""
    issued = issue_credential(
        catalog, CTQ_MC, Recipient(email="t@example.org"), KEY, fmt=fmt, now=at, valid_until=valid_until
    )
    return issued.document


def dates(report: VerificationReport) -> Check:
    (check,) = [c for c in report.checks if c.id == "dates"]
    return check


def failed(report: VerificationReport) -> list[str]:
    return [c.id for c in report.checks if c.status is Status.FAIL]


def resign_jwt(token: str, change: dict[str, Any], drop: tuple[str, ...] = ()) -> str:
    """The same VC-JWT with claims changed, signed again by the issuer's own key (so only the dates differ)."""
    decoded = decode_compact(token)
    payload = {k: v for k, v in decoded.payload_json().items() if k not in drop}
    payload.update(change)
    return encode_compact(decoded.header, payload, KEY.private_key)


# ----------------------------------------------------------------------------------------------------------
# validFrom / nbf


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_from_slightly_in_the_future_verifies_within_the_skew_only(
    catalog: Catalog, now: datetime, fmt: str
) -> None:
    ahead = issue(catalog, fmt, at=now + WITHIN)
    strict = verify(ahead, now=now)
    assert not strict.verified and failed(strict) == ["dates"]
    assert dates(strict).message.startswith("not yet valid") and dates(strict).pointer == "/validFrom"

    lenient = verify(ahead, now=now, max_clock_skew=SKEW)
    assert lenient.verified, lenient.to_json()
    assert dates(lenient).status is Status.PASS

    too_far = verify(issue(catalog, fmt, at=now + BEYOND), now=now, max_clock_skew=SKEW)
    assert not too_far.verified and failed(too_far) == ["dates"]
    assert dates(too_far).message.startswith("not yet valid") and dates(too_far).pointer == "/validFrom"
    if fmt == "ob3-jwt":  # nbf is validFrom: the claims agree, only the date is refused
        assert [c.status for c in too_far.checks if c.id == "jwt.claims"] == [Status.PASS]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_skew_boundary_is_inclusive(catalog: Catalog, now: datetime, fmt: str) -> None:
    ahead = issue(catalog, fmt, at=now + SKEW)
    assert verify(ahead, now=now, max_clock_skew=SKEW).verified
    just_short = verify(ahead, now=now, max_clock_skew=SKEW - timedelta(seconds=1))
    assert failed(just_short) == ["dates"]


# ----------------------------------------------------------------------------------------------------------
# validUntil / exp


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_until_just_passed_verifies_within_the_skew_only(catalog: Catalog, now: datetime, fmt: str) -> None:
    issued_at = now - timedelta(days=30)
    expired = issue(catalog, fmt, at=issued_at, valid_until=now - WITHIN)
    strict = verify(expired, now=now)
    assert not strict.verified and failed(strict) == ["dates"]
    assert dates(strict).message.startswith("expired on") and dates(strict).pointer == "/validUntil"

    assert verify(expired, now=now, max_clock_skew=SKEW).verified

    long_gone = verify(issue(catalog, fmt, at=issued_at, valid_until=now - BEYOND), now=now, max_clock_skew=SKEW)
    assert not long_gone.verified and failed(long_gone) == ["dates"]
    assert dates(long_gone).pointer == "/validUntil"
    if fmt == "ob3-jwt":  # exp is validUntil
        assert [c.status for c in long_gone.checks if c.id == "jwt.claims"] == [Status.PASS]


def test_regression_jwt_exp_without_valid_until_expires_the_jwt(catalog: Catalog, now: datetime) -> None:
    """RFC 7519: a JWT must not be accepted after its ``exp``. A VC-JWT whose payload has ``exp`` but whose
    credential has no ``validUntil`` used to verify for ever (``exp`` was only compared with validUntil)."""
    token = issue(catalog, "ob3-jwt", at=now - timedelta(days=30))
    assert "exp" not in decode_compact(token).payload_json()
    assert verify(token, now=now).verified

    expired = resign_jwt(token, {"exp": int((now - BEYOND).timestamp())})
    report = verify(expired, now=now, max_clock_skew=SKEW)
    assert not report.verified and failed(report) == ["dates"]
    assert dates(report).message == "expired: the JWT 'exp' claim is " + (now - BEYOND).isoformat().replace(
        "+00:00", "Z"
    )

    just_expired = resign_jwt(token, {"exp": int((now - WITHIN).timestamp())})
    assert failed(verify(just_expired, now=now)) == ["dates"]
    assert verify(just_expired, now=now, max_clock_skew=SKEW).verified


def test_regression_jwt_nbf_later_than_valid_from_is_not_yet_valid(catalog: Catalog, now: datetime) -> None:
    """An ``nbf`` that disagrees with validFrom fails ``jwt.claims``; a future ``nbf`` also fails ``dates``."""
    token = resign_jwt(issue(catalog, "ob3-jwt", at=now - timedelta(days=1)), {"nbf": int((now + BEYOND).timestamp())})
    report = verify(token, now=now, max_clock_skew=SKEW)
    assert sorted(failed(report)) == ["dates", "jwt.claims"]
    assert dates(report).message.startswith("not yet valid: the JWT 'nbf' claim is")
    at_the_boundary = verify(token, now=now + BEYOND - SKEW, max_clock_skew=SKEW)
    assert dates(at_the_boundary).status is Status.PASS and failed(at_the_boundary) == ["jwt.claims"]


def test_absurd_exp_values_do_not_crash(catalog: Catalog, now: datetime) -> None:
    token = issue(catalog, "ob3-jwt", at=now - timedelta(days=1))
    far_future = verify(resign_jwt(token, {"exp": 10**30}), now=now)
    assert dates(far_future).status is Status.PASS
    far_past = verify(resign_jwt(token, {"exp": -(10**30)}), now=now)
    assert dates(far_past).status is Status.FAIL and "-1e+30" in dates(far_past).message


# ----------------------------------------------------------------------------------------------------------
# The option itself


@pytest.mark.parametrize(
    ("skew", "why"),
    [
        (timedelta(seconds=-1), "negative"),
        (timedelta(300), "300 days: the classic timedelta(300) for 300 seconds"),
        (MAX_CLOCK_SKEW + timedelta(seconds=1), "just over the maximum"),
    ],
    ids=["negative", "timedelta(300)", "over-max"],
)
def test_regression_a_negative_or_absurd_skew_is_refused(
    catalog: Catalog, now: datetime, skew: timedelta, why: str
) -> None:
    """It used to be used as given: a negative skew refused valid credentials, 300 days accepted expired ones."""
    expired = issue(catalog, "ob3-di", at=now - timedelta(days=400), valid_until=now - timedelta(days=200))
    with pytest.raises(InputError) as caught:
        verify(expired, now=now, max_clock_skew=skew)
    message = caught.value.message
    assert message.startswith("max_clock_skew must be between 0 and 1 day, 0:00:00"), why
    assert "\n" not in message and str(skew) in message
    assert caught.value.hint is not None and "timedelta(seconds=300)" in caught.value.hint


def test_regression_a_skew_that_is_not_a_timedelta_is_a_type_error(catalog: Catalog, now: datetime) -> None:
    """``max_clock_skew=300`` used to surface as an "internal error" report; it is misuse, so TypeError."""
    document = issue(catalog, "ob3-di", at=now)
    with pytest.raises(TypeError, match=r"^max_clock_skew must be a datetime.timedelta .*not int$"):
        verify(document, now=now, max_clock_skew=300)  # type: ignore[arg-type]


def test_zero_and_the_maximum_are_accepted(catalog: Catalog, now: datetime) -> None:
    document = issue(catalog, "ob3-di", at=now - timedelta(days=2), valid_until=now - timedelta(hours=23))
    assert failed(verify(document, now=now, max_clock_skew=timedelta(0))) == ["dates"]
    assert verify(document, now=now, max_clock_skew=MAX_CLOCK_SKEW).verified
    assert timedelta(days=1) == MAX_CLOCK_SKEW
