"""Date-time formatting and parsing shared by the proof formats and credential builders."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import InputError

__all__ = ["format_datetime", "parse_datetime"]


def format_datetime(value: datetime) -> str:
    """``2026-11-23T12:00:00Z``: UTC, second precision (sub-seconds kept when present)."""
    if value.tzinfo is None:
        raise InputError(f"date-time {value.isoformat()} has no time zone; a UTC or offset time was expected")
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_datetime(value: object, *, what: str = "date-time") -> datetime:
    """Parse an XML Schema dateTime with a zone (``Z`` or ``±hh:mm``). Raises InputError otherwise."""
    if not isinstance(value, str) or len(value) > 64:
        raise InputError(f"{what} must be an ISO 8601 date-time string, found {type(value).__name__}")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} {value!r} has no time zone (expected e.g. 2026-01-01T00:00:00Z)")
    return parsed
