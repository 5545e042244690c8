"""Validate OB 3.0 and CLR 2.0 documents against our JSON Schemas (``schemas/ob3``, ``schemas/clr2``).

Our schemas agree with 1EdTech's published JSON-LD-compaction-friendly schemas (see ``docs/schemas.md``): they
accept single values where JSON-LD compaction allows them (``"proof": {...}``, ``"type": "Evidence"``) and
language maps where a string is expected. Each is a JSON Schema draft 2020-12 document, loaded once from the
packaged ``schemas`` folder and checked with ``jsonschema.Draft202012Validator``. ``format`` is asserted:
``date`` by jsonschema itself, ``date-time`` by a stdlib RFC 3339 check defined here (jsonschema would need
the optional ``rfc3339-validator`` package); the schemas repeat the date-time rule as a ``pattern`` too.

::

    >>> problems = validate_document(credential, "ob3-achievementcredential")
    >>> [f"{pointer or '/'}: {message}" for pointer, message in problems]
    ["/credentialSubject/achievement: 'criteria' is a required property"]
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from .errors import InputError, SchemaError
from .resources import data_dir

__all__ = ["KINDS", "MAX_PROBLEMS", "schema_kind_for", "validate_document", "validate_or_raise"]

#: Schema kind → file in the packaged ``schemas`` folder.
_SCHEMA_FILES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ob3-achievementcredential": "ob3/achievementcredential.schema.json",
        "ob3-endorsementcredential": "ob3/endorsementcredential.schema.json",
        "ob3-profile": "ob3/profile.schema.json",
        "clr2-clrcredential": "clr2/clrcredential.schema.json",
    }
)
#: The schema kinds :func:`validate_document` accepts.
KINDS: Final[tuple[str, ...]] = tuple(_SCHEMA_FILES)
#: At most this many problems are reported for one document.
MAX_PROBLEMS: Final = 20

# `type` values → schema kind, in order of precedence.
_KIND_BY_TYPE: Final[tuple[tuple[frozenset[str], str], ...]] = (
    (frozenset({"OpenBadgeCredential", "AchievementCredential"}), "ob3-achievementcredential"),
    (frozenset({"EndorsementCredential"}), "ob3-endorsementcredential"),
    (frozenset({"ClrCredential"}), "clr2-clrcredential"),
    (frozenset({"Profile"}), "ob3-profile"),
)

# RFC 3339 date-time (section 5.6), time zone required; "T"/"Z" may be lowercase, seconds may be 60 (leap).
_DATE_TIME: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
)
_SHORT: Final = 60
_LONG: Final = 300


def schema_kind_for(doc: Mapping[str, Any]) -> str | None:
    """Return the schema kind for ``doc`` judged by its ``type``, or ``None`` when we have no schema for it.

    ``OpenBadgeCredential``/``AchievementCredential`` → ``"ob3-achievementcredential"``,
    ``EndorsementCredential`` → ``"ob3-endorsementcredential"``, ``ClrCredential`` → ``"clr2-clrcredential"``,
    ``Profile`` → ``"ob3-profile"`` (first match in that order).
    """
    raw = doc.get("type") if isinstance(doc, Mapping) else None
    if isinstance(raw, str):
        types = {raw}
    elif isinstance(raw, list | tuple):
        types = {t for t in raw if isinstance(t, str)}
    else:
        types = set()
    for names, kind in _KIND_BY_TYPE:
        if names & types:
            return kind
    return None


def validate_document(doc: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    """Validate ``doc`` against our schema ``kind`` (one of :data:`KINDS`).

    Returns ``(json_pointer, message)`` pairs, empty when the document is valid: the best match first (nearest
    the root, as ``jsonschema.exceptions.best_match`` ranks them, then the earliest; inside anyOf/oneOf the
    alternative that fits the value's JSON type), then the others in document order, at most
    :data:`MAX_PROBLEMS`. Pointers are RFC 6901 (``""`` is the whole document); messages are one line.

    Raises:
        InputError: ``kind`` is not a known schema kind.
    """
    validator = _validator(kind)
    plain = _plain(doc)
    if _fast_validator(kind).is_valid(plain):
        # the compiled validator accepts: done. Only an invalid document pays for jsonschema's detailed errors.
        return []
    errors = list(validator.iter_errors(plain))
    if not errors:
        return []
    best = min(errors, key=_rank)
    rest = sorted((e for e in errors if e is not best), key=lambda e: _path_key(e.absolute_path))
    problems: list[tuple[str, str]] = []
    for error in [best, *rest]:
        leaf = _narrow(error)
        problem = (_pointer(leaf.absolute_path), _message(leaf))
        if problem not in problems:
            problems.append(problem)
        if len(problems) == MAX_PROBLEMS:
            break
    return problems


def validate_or_raise(doc: Mapping[str, Any], kind: str) -> None:
    """Like :func:`validate_document`, but raise :class:`~openbadge_ctq.errors.SchemaError` if invalid.

    The error's message names the first problem; ``problems`` holds them all.
    """
    problems = validate_document(doc, kind)
    if not problems:
        return
    pointer, message = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise SchemaError(
        f"the document does not match the {kind} JSON Schema: {pointer or '/'}: {message}{more}",
        problems=problems,
    )


# ---- loading ---------------------------------------------------------------------------------------------


@functools.cache
def _validator(kind: str) -> Draft202012Validator:
    name = _SCHEMA_FILES.get(kind)
    if name is None:
        raise InputError(f"unknown schema kind {kind!r}; expected one of {', '.join(KINDS)}")
    schema = json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker())


@functools.cache
def _fast_validator(kind: str) -> Any:
    """The same schema compiled by jsonschema-rs (Rust): judges validity ~20x faster; never fetches anything."""
    schema = json.loads((data_dir("schemas") / _SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(
        schema,
        validate_formats=True,
        formats={"date-time": _date_time_or_false},
        offline=True,
    )


def _date_time_or_false(instance: object) -> bool:
    try:
        return _is_date_time(instance)
    except ValueError:  # an impossible date such as 2026-02-30
        return False


def _format_checker() -> FormatChecker:
    checker = FormatChecker()  # every format jsonschema can check with the packages installed (date, ...)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


def _is_date_time(instance: object) -> bool:
    """RFC 3339 date-time with a time zone (only strings are judged)."""
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    date(int(match["year"]), int(match["month"]), int(match["day"]))  # ValueError for 2021-02-30
    time_ok = int(match["hour"]) <= 23 and int(match["minute"]) <= 59 and int(match["second"]) <= 60
    offset_ok = match["off_hour"] is None or (int(match["off_hour"]) <= 23 and int(match["off_minute"]) <= 59)
    return time_ok and offset_ok


def _plain(value: Any) -> Any:
    """Mappings → dicts, tuples → lists, recursively: jsonschema only takes dict/list for object/array."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# ---- reporting -------------------------------------------------------------------------------------------


def _narrow(error: ValidationError) -> ValidationError:
    """Descend into anyOf/oneOf: the first alternative that fits the value's JSON type, then its best error.

    (For ``issuer``, an object, that is the Profile alternative, not the language-map one.)
    """
    while error.context:
        branches: dict[int | str, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [b for b in branches.values() if not any(_is_own_type_error(e) for e in b)]
        if not fitting or (len(fitting) > 1 and not isinstance(error.instance, dict | list)):
            return error  # no alternative fits, or several reject a scalar: report the alternatives together
        error = min(fitting[0], key=_rank)
    return error


def _rank(error: ValidationError) -> tuple[int, bool, tuple[tuple[int, int, str], ...]]:
    """Best first: nearest the root (as ``best_match``), not an anyOf/oneOf, then the earliest in the document."""
    return len(error.path), error.validator in {"anyOf", "oneOf"}, _path_key(error.path)


def _is_own_type_error(error: ValidationError) -> bool:
    return error.validator == "type" and not error.relative_path


def _message(error: ValidationError) -> str:
    keyword = error.validator
    instance: Any = error.instance
    value: Any = error.validator_value
    if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
        text = f"property name {_short(instance)} is not allowed here (expected a language tag such as 'en')"
    elif keyword == "type":
        text = f"expected {' or '.join(_as_list(value))}, found {_json_type(instance)}"
    elif keyword == "const":
        text = f"expected {_short(value)}, found {_short(instance)}"
    elif keyword == "enum":
        text = f"{_short(instance)} is not one of {_choices(value)}"
    elif keyword == "format" or (keyword == "pattern" and _schema_format(error) == "date-time"):
        # DateTimeZ has both a format and a pattern: both errors read the same, so they are reported once.
        what = _schema_format(error)
        text = f"{_short(instance)} is not a valid {what}" + (" with a time zone" if what == "date-time" else "")
    elif keyword == "pattern":
        text = f"{_short(instance)} does not match the pattern {value}"
    elif keyword == "contains":
        text = f"must contain {_describe(value)}"
    elif keyword == "minItems":
        text = f"expected at least {value} item(s), found {len(instance)}"
    elif keyword in {"anyOf", "oneOf"} and error.context:
        expected = dict.fromkeys(_expectation(sub) for sub in error.context if not _is_own_type_error(sub))
        if expected:
            text = f"{_short(instance)} is not allowed here (expected {'; or '.join(expected)})"
        else:
            types = dict.fromkeys(t for sub in error.context for t in _as_list(sub.validator_value))
            text = f"expected {' or '.join(types)}, found {_json_type(instance)}"
    else:
        text = error.message
    return _one_line(text, _LONG)


def _schema_format(error: ValidationError) -> str:
    schema = error.schema
    return str(schema.get("format", "")) if isinstance(schema, Mapping) else ""


def _expectation(error: ValidationError) -> str:
    """What an alternative of an anyOf/oneOf expected, for a one-line summary."""
    value: Any = error.validator_value
    if error.validator == "enum":
        return f"one of {_choices(value)}"
    if error.validator == "const":
        return _short(value)
    if error.validator == "pattern":
        return f"a string matching {value}"
    return _message(error)


def _describe(schema: Any) -> str:
    if isinstance(schema, Mapping):
        if "const" in schema:
            return _short(schema["const"])
        if "enum" in schema:
            return f"one of {_choices(schema['enum'])}"
    return f"an item matching {_one_line(json.dumps(schema), _SHORT)}"


def _choices(values: Iterable[Any]) -> str:
    items = [_short(v) for v in values]
    shown = ", ".join(items[:8])
    return shown + (f", ... ({len(items)} values)" if len(items) > 8 else "")


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _json_type(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int | float):
        return "number"
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, list):
        return "array"
    if isinstance(instance, dict):
        return "object"
    return type(instance).__name__  # pragma: no cover - _plain leaves only JSON values


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if isinstance(value, str):
        text = "'" + text[1:-1] + "'"
    return _one_line(text, _SHORT)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _pointer(path: Iterable[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _path_key(path: Iterable[str | int]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)
