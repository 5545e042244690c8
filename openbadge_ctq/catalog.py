"""Load issuer folders into a :class:`~openbadge_ctq.model.Catalog`, validating every file on the way.

An issuer folder is ``<root>/<issuer-id>/`` with ``profile.json`` (the issuer, required), ``catalog.json``
(organisations, stacks, micro-credentials and certificates, optional) and ``images/``. The packaged folders
under ``issuers/`` are loaded first, then every extra root in order; an entry in a later root replaces the
entry with the same id and kind.

Validation happens in three steps, and the first problem found raises
:class:`~openbadge_ctq.errors.CatalogError` naming the file, the RFC 6901 JSON pointer, what was expected and
what was found:

1. each file is parsed as JSON (syntax errors report line and column) and validated against
   ``schemas/issuer-profile.schema.json`` or ``schemas/catalog.schema.json``;
2. each entry is built into the model, whose constructors check single-value invariants (rubric levels,
   required level, positive word limits, "k of n");
3. the merged catalog is cross-checked: duplicate ids, unknown organisation / stack / member references, and
   badge images (present, inside the folder, and safe: no scripts, event handlers, entities or external
   references).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, NoReturn, TypeVar
from xml.etree import ElementTree

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from .errors import CatalogError
from .model import (
    Catalog,
    Certificate,
    Image,
    MicroCredential,
    Organization,
    Stack,
    pointer_join,
    relocate,
)
from .resources import data_dir

__all__ = [
    "CATALOG_FILE",
    "CATALOG_SCHEMA_ID",
    "PROFILE_FILE",
    "PROFILE_SCHEMA_ID",
    "CatalogPart",
    "Located",
    "SchemaValidators",
    "build_catalog",
    "check_svg",
    "load_catalog",
    "parse_catalog_dir",
    "parse_issuer",
    "schema_validators",
]

log = logging.getLogger(__name__)

PROFILE_FILE: Final = "profile.json"
CATALOG_FILE: Final = "catalog.json"
PROFILE_SCHEMA_ID: Final = "urn:openbadge-ctq:schema:issuer-profile:1"
CATALOG_SCHEMA_ID: Final = "urn:openbadge-ctq:schema:catalog:1"
MAX_IMAGE_BYTES: Final = 256 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Located(Generic[T]):
    """A catalog entry and where it came from: the displayed file name, JSON pointer and issuer folder."""

    value: T
    file: str
    pointer: str
    folder: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogPart:
    """Everything one issuer folder defines, before merging and cross-checking."""

    folder: Path
    organizations: tuple[Located[Organization], ...]
    stacks: tuple[Located[Stack], ...]
    micro_credentials: tuple[Located[MicroCredential], ...]
    certificates: tuple[Located[Certificate], ...]


# ----------------------------------------------------------------------------------------------------
# JSON Schema


@dataclass(frozen=True, slots=True)
class SchemaValidators:
    """The compiled issuer-profile and catalog schemas (build once with :func:`schema_validators`, reuse)."""

    profile: Draft202012Validator
    catalog: Draft202012Validator


def schema_validators(schemas: Path | None = None) -> SchemaValidators:
    """Compile the issuer-profile and catalog schemas found in ``schemas`` (default: the packaged ones)."""
    folder = schemas or data_dir("schemas")
    loaded: dict[str, Any] = {}
    for name, schema_id in (("issuer-profile", PROFILE_SCHEMA_ID), ("catalog", CATALOG_SCHEMA_ID)):
        path = folder / f"{name}.schema.json"
        loaded[schema_id] = json.loads(path.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resources(
        (schema_id, Resource.from_contents(schema)) for schema_id, schema in loaded.items()
    )
    return SchemaValidators(
        profile=Draft202012Validator(loaded[PROFILE_SCHEMA_ID], registry=registry),
        catalog=Draft202012Validator(loaded[CATALOG_SCHEMA_ID], registry=registry),
    )


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    return "an array"


def _found(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    return _json_kind(value)


_TYPE_NAMES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _schema_message(err: ValidationError) -> str:
    """One ``expected ..., found ...`` sentence for a JSON Schema error."""
    keyword: Any = err.validator
    value: Any = err.validator_value
    instance: Any = err.instance
    schema: Any = err.schema
    described = schema.get("description") if isinstance(schema, Mapping) else None
    if keyword == "required":
        missing = [key for key in value if isinstance(instance, Mapping) and key not in instance]
        return f"expected property {missing[0] if missing else value!r}, found none"
    if keyword == "additionalProperties":
        known = sorted((schema.get("properties") or {}).keys())
        extra = sorted(key for key in instance if key not in known)
        return (
            f"expected only the properties ({', '.join(repr(k) for k in known)}), "
            f"found unknown property {extra[0] if extra else '?'!r}"
        )
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        names = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in wanted)
        return f"expected {names}, found {_found(instance)}"
    if keyword == "enum":
        return f"expected one of ({', '.join(repr(v) for v in value)}), found {_found(instance)}"
    if keyword == "const":
        return f"expected {value!r}, found {_found(instance)}"
    if keyword == "exclusiveMinimum":
        bound = f"{described} (greater than {value})" if described else f"a number greater than {value}"
        return f"expected {bound}, found {_found(instance)}"
    if keyword == "minimum":
        return f"expected a number of at least {value}, found {_found(instance)}"
    if keyword == "minItems":
        return f"expected at least {value} item{'s' if value != 1 else ''}, found {len(instance)}"
    if keyword == "uniqueItems":
        seen: list[Any] = []
        duplicate: Any = None
        for item in instance:
            if item in seen:
                duplicate = item
                break
            seen.append(item)
        return f"expected unique items, found {_found(duplicate)} more than once"
    if keyword in {"minLength", "pattern", "anyOf", "oneOf", "maxLength"}:
        return f"expected {described or _fallback(keyword, value)}, found {_found(instance)}"
    return f"expected {described or 'a valid value'}, found {_found(instance)} ({err.message})"


def _fallback(keyword: str, value: Any) -> str:
    if keyword == "pattern":
        return f"a string matching {value}"
    if keyword == "minLength":
        return "a non-empty string"
    if keyword == "maxLength":
        return f"a string of at most {value} characters"
    return "one of the allowed forms"


def _described(err: ValidationError) -> ValidationError:
    """For an anyOf/oneOf failure whose schema has a description, report that rather than a guessed branch."""
    parent = err.parent
    while isinstance(parent, ValidationError):
        schema: Any = parent.schema
        if parent.validator in {"anyOf", "oneOf"} and isinstance(schema, Mapping) and schema.get("description"):
            return parent
        parent = parent.parent
    return err


def _validate(validator: Draft202012Validator, data: Any, *, file: str) -> None:
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    worst = best_match(errors)
    assert worst is not None
    worst = _described(worst)
    others = len(errors) - 1
    raise CatalogError(
        _schema_message(worst),
        file=file,
        pointer=pointer_join(*worst.absolute_path),
        hint=f"{others} more problem{'s' if others != 1 else ''} in this file" if others else None,
    )


# ----------------------------------------------------------------------------------------------------
# Reading one issuer folder


def _read_json(path: Path, *, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"expected UTF-8 text, found a byte that is not UTF-8 at offset {exc.start}", file=file
        ) from exc
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"expected valid JSON, found a syntax error at line {exc.lineno}, column {exc.colno} ({exc.msg})",
            file=file,
        ) from exc
    except _DuplicateKey as exc:
        raise CatalogError(f"expected each key once per object, found {exc.key!r} twice", file=file) from None
    except _Constant as exc:
        raise CatalogError(f"expected valid JSON, found {exc.name}", file=file) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _build(factory: Callable[[Mapping[str, Any]], T], data: Mapping[str, Any], *, file: str, pointer: str) -> T:
    try:
        return factory(data)
    except CatalogError as err:
        raise relocate(err, file=file, prefix=pointer) from None


def parse_issuer(
    profile: Any,
    catalog: Any | None,
    *,
    folder: Path,
    display: str | None = None,
    validators: SchemaValidators | None = None,
) -> CatalogPart:
    """Validate and build the parsed ``profile.json`` and ``catalog.json`` data of one issuer folder.

    Args:
        profile: the parsed profile.json.
        catalog: the parsed catalog.json, or None if the folder has none.
        folder: the issuer folder (image paths are relative to it; its name must be the profile's id).
        display: how to name the folder in error messages (default: the folder path).
        validators: compiled schemas (default: the packaged ones).

    Raises:
        CatalogError: a file does not match its schema or breaks an invariant.
    """
    checks = validators or schema_validators()
    shown = display if display is not None else str(folder)
    profile_file = f"{shown}/{PROFILE_FILE}"
    catalog_file = f"{shown}/{CATALOG_FILE}"

    _validate(checks.profile, profile, file=profile_file)
    issuer = _build(Organization.from_mapping, profile, file=profile_file, pointer="")
    if issuer.id != folder.name:
        raise CatalogError(
            f"expected the issuer id to be the folder name {folder.name!r}, found {issuer.id!r}",
            file=profile_file,
            pointer="/id",
        )
    if not issuer.is_issuer:
        raise CatalogError(
            f"expected the roles of the folder's issuer to include 'issuer', found {list(issuer.roles)}",
            file=profile_file,
            pointer="/roles",
        )
    organizations = [Located(value=issuer, file=profile_file, pointer="", folder=folder)]
    stacks: list[Located[Stack]] = []
    micro_credentials: list[Located[MicroCredential]] = []
    certificates: list[Located[Certificate]] = []
    if catalog is not None:
        _validate(checks.catalog, catalog, file=catalog_file)
        for index, item in enumerate(catalog.get("organizations", [])):
            where = pointer_join("organizations", index)
            org = _build(Organization.from_mapping, item, file=catalog_file, pointer=where)
            organizations.append(Located(value=org, file=catalog_file, pointer=where, folder=folder))
        for index, item in enumerate(catalog.get("stacks", [])):
            where = pointer_join("stacks", index)
            stack = _build(Stack.from_mapping, item, file=catalog_file, pointer=where)
            stacks.append(Located(value=stack, file=catalog_file, pointer=where, folder=folder))
        for index, item in enumerate(catalog.get("microCredentials", [])):
            where = pointer_join("microCredentials", index)
            mc = _build(MicroCredential.from_mapping, item, file=catalog_file, pointer=where)
            micro_credentials.append(Located(value=mc, file=catalog_file, pointer=where, folder=folder))
        for index, item in enumerate(catalog.get("certificates", [])):
            where = pointer_join("certificates", index)
            cert = _build(Certificate.from_mapping, item, file=catalog_file, pointer=where)
            certificates.append(Located(value=cert, file=catalog_file, pointer=where, folder=folder))
    return CatalogPart(
        folder=folder,
        organizations=tuple(organizations),
        stacks=tuple(stacks),
        micro_credentials=tuple(micro_credentials),
        certificates=tuple(certificates),
    )


def parse_catalog_dir(
    path: Path, *, display: str | None = None, validators: SchemaValidators | None = None
) -> CatalogPart:
    """Read and validate one issuer folder (``profile.json``, optional ``catalog.json``).

    Raises:
        CatalogError: a file is missing, is not JSON, or does not validate.
    """
    shown = display if display is not None else str(path)
    profile_path = path / PROFILE_FILE
    catalog_path = path / CATALOG_FILE
    if not profile_path.is_file():
        raise CatalogError(
            f"expected an issuer profile {PROFILE_FILE} in the issuer folder, found none",
            file=f"{shown}/{PROFILE_FILE}",
            hint="every folder in issuers/ needs a profile.json; see docs/catalog.md",
        )
    profile = _read_json(profile_path, file=f"{shown}/{PROFILE_FILE}")
    catalog = _read_json(catalog_path, file=f"{shown}/{CATALOG_FILE}") if catalog_path.is_file() else None
    return parse_issuer(profile, catalog, folder=path, display=shown, validators=validators)


def _issuer_folders(root: Path, *, packaged: bool) -> Iterator[tuple[Path, str]]:
    """The issuer folders of ``root`` with how to display them: root itself if it holds a profile.json."""
    if (root / PROFILE_FILE).is_file():
        yield root, str(root)
        return
    if not root.is_dir():
        raise CatalogError(f"expected a folder of issuer folders, found nothing at {root}", file=str(root))
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if not child.is_dir() or child.name.startswith((".", "_")):
            continue
        if not (child / PROFILE_FILE).exists() and not (child / CATALOG_FILE).exists():
            continue
        yield child, (f"issuers/{child.name}" if packaged else str(child))


# ----------------------------------------------------------------------------------------------------
# Merging and cross-checks


_KINDS: Final = {
    "organization": "organisation",
    "stack": "stack",
    "microCredential": "micro-credential",
    "certificate": "certificate",
}


def _merge(
    roots: Sequence[Sequence[CatalogPart]],
) -> tuple[dict[str, Located[Any]], list[Path]]:
    """Entries by id (later roots replace the same id and kind), checking duplicates inside each root."""
    merged: dict[str, Located[Any]] = {}
    folders: list[Path] = []
    for parts in roots:
        seen_here: dict[str, Located[Any]] = {}
        for part in parts:
            folders.append(part.folder)
            entries: list[Located[Any]] = [
                *part.organizations,
                *part.stacks,
                *part.micro_credentials,
                *part.certificates,
            ]
            for entry in entries:
                entry_id = entry.value.id
                first = seen_here.get(entry_id) or (
                    merged[entry_id] if entry_id in merged and merged[entry_id].value.kind != entry.value.kind else None
                )
                if first is not None:
                    raise CatalogError(
                        f"expected a unique id, found {entry_id!r} again (first defined as a "
                        f"{_KINDS[first.value.kind]} at {first.file}#{first.pointer})",
                        file=entry.file,
                        pointer=entry.pointer + "/id",
                    )
                seen_here[entry_id] = entry
                if entry_id in merged:
                    log.debug("catalog entry %s from %s replaces %s", entry_id, entry.file, merged[entry_id].file)
                merged[entry_id] = entry
    return merged, folders


def _known(ids: Iterable[str]) -> str:
    names = list(ids)
    shown = ", ".join(repr(n) for n in names[:15])
    return f"({shown}{', ...' if len(names) > 15 else ''})" if names else "(none)"


class _Checker:
    def __init__(self, catalog: Catalog, located: Mapping[str, Located[Any]]) -> None:
        self.catalog = catalog
        self.located = located

    def fail(self, entry_id: str, tokens: Sequence[str | int], message: str, hint: str | None = None) -> NoReturn:
        where = self.located[entry_id]
        raise CatalogError(message, file=where.file, pointer=where.pointer + pointer_join(*tokens), hint=hint)

    def org(self, entry_id: str, tokens: Sequence[str | int], org_id: str, *, issuer: bool = False) -> None:
        org = self.catalog.organizations.get(org_id)
        if org is None:
            self.fail(
                entry_id,
                tokens,
                f"expected the id of an organisation in the catalog {_known(self.catalog.organizations)}, "
                f"found {org_id!r}",
                hint="add the organisation to 'organizations' in catalog.json",
            )
        elif issuer and not org.is_issuer:
            self.fail(
                entry_id,
                tokens,
                f"expected an organisation with the role 'issuer', found {org_id!r} with roles {list(org.roles)}",
            )

    def run(self) -> None:
        catalog = self.catalog
        for stack in catalog.stacks.values():
            self.org(stack.id, ["issuer"], stack.issuer, issuer=True)
            for index, partner in enumerate(stack.partners):
                self.org(stack.id, ["partners", index], partner)
            for index, member in enumerate(stack.members):
                if member not in catalog.micro_credentials:
                    self.fail(
                        stack.id,
                        ["members", index],
                        f"expected the id of a micro-credential in the catalog, found {member!r}",
                        hint=f"known micro-credentials: {_known(catalog.micro_credentials)}",
                    )
        families: dict[tuple[str, str], str] = {}
        for mc in catalog.micro_credentials.values():
            self.org(mc.id, ["issuer"], mc.issuer, issuer=True)
            if mc.creator is not None:
                self.org(mc.id, ["creator"], mc.creator)
            for index, endorser in enumerate(mc.endorsers):
                self.org(mc.id, ["endorsers", index], endorser)
            if mc.stack is not None:
                home = catalog.stacks.get(mc.stack)
                if home is None:
                    self.fail(
                        mc.id,
                        ["stack"],
                        f"expected the id of a stack in the catalog {_known(catalog.stacks)}, found {mc.stack!r}",
                    )
                elif mc.id not in home.members:
                    self.fail(
                        mc.id,
                        ["stack"],
                        f"expected stack {mc.stack!r} to list {mc.id!r} in its members, found {_known(home.members)}",
                    )
            if mc.family is not None and mc.domain is not None:
                other = families.get((mc.family, mc.domain))
                if other is not None:
                    self.fail(
                        mc.id,
                        ["domain"],
                        f"expected one micro-credential per domain of family {mc.family!r}, found domain "
                        f"{mc.domain!r} again (also in {other!r})",
                    )
                families[(mc.family, mc.domain)] = mc.id
        for cert in catalog.certificates.values():
            self.org(cert.id, ["issuer"], cert.issuer, issuer=True)
        for org in catalog.organizations.values():
            self.image(org.id, org.image)
        for achievement in catalog.achievements():
            self.image(achievement.id, achievement.image)

    def image(self, entry_id: str, image: Image | None) -> None:
        if image is None:
            return
        folder = self.catalog.origins[entry_id]
        path = self.catalog.image_path(image, entry_id)
        shown = f"{self.located[entry_id].file.rsplit('/', 1)[0]}/{image.path}"
        if not path.is_relative_to(folder.resolve()):
            self.fail(entry_id, ["image", "path"], f"expected an image inside the issuer folder, found {shown}")
        if not path.is_file():
            self.fail(entry_id, ["image", "path"], f"expected an image file at {shown}, found none")
        data = path.read_bytes()
        if len(data) > MAX_IMAGE_BYTES:
            self.fail(
                entry_id,
                ["image", "path"],
                f"expected an image of at most {MAX_IMAGE_BYTES // 1024} KB, found {len(data) // 1024} KB in {shown}",
            )
        problem = check_svg(data) if path.suffix == ".svg" else _check_png(data)
        if problem is not None:
            self.fail(entry_id, ["image", "path"], f"{problem} in {shown}")


def _check_png(data: bytes) -> str | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "expected a PNG file, found other content"
    return None


_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_UNSAFE_TEXT: Final = (
    (re.compile(rb"<!ENTITY", re.IGNORECASE), "an entity declaration (<!ENTITY)"),
    (re.compile(rb"<!DOCTYPE", re.IGNORECASE), "a document type declaration (<!DOCTYPE)"),
    (re.compile(rb"<\s*script", re.IGNORECASE), "a script element (<script)"),
    (re.compile(rb"<\?xml-stylesheet", re.IGNORECASE), "an external stylesheet (<?xml-stylesheet)"),
    (re.compile(rb"@import", re.IGNORECASE), "a stylesheet import (@import)"),
    (re.compile(rb"javascript:", re.IGNORECASE), "a javascript: URL"),
    (re.compile(rb"url\(\s*['\"]?(?!#)", re.IGNORECASE), "an external url() reference"),
)
_UNSAFE_ELEMENTS: Final = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler"})


def check_svg(data: bytes) -> str | None:
    """Why an SVG is unsafe as badge art, or None if it is safe.

    Refuses scripts, event-handler attributes (``on*=``), entity and DOCTYPE declarations, external references
    (``href`` other than ``#fragment``, ``url(...)``, stylesheets) and embedded HTML. Returns one
    ``expected ..., found ...`` sentence.
    """
    expected = "expected a safe SVG"
    for pattern, what in _UNSAFE_TEXT:
        if pattern.search(data):
            return f"{expected}, found {what}"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"expected well-formed SVG XML, found a syntax error ({exc})"
    if root.tag not in {f"{_SVG_NS}svg", "svg"}:
        return f"expected an <svg> root element, found <{root.tag}>"
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if local in _UNSAFE_ELEMENTS:
            return f"{expected}, found a <{local}> element"
        for name, value in element.attrib.items():
            attr = name.rsplit("}", 1)[-1]
            if attr.lower().startswith("on"):
                return f"{expected}, found an event-handler attribute {attr}= on <{local}>"
            if attr == "href" and not value.startswith("#"):
                return f"{expected} without external references, found href={value!r} on <{local}>"
    return None


def build_catalog(roots: Sequence[Sequence[CatalogPart]]) -> Catalog:
    """Merge parsed issuer folders (grouped by root, in load order) and cross-check the result.

    Raises:
        CatalogError: duplicate ids, unknown references, or a missing or unsafe image.
    """
    merged, folders = _merge(roots)
    entries = {entry_id: entry.value for entry_id, entry in merged.items()}
    catalog = Catalog(
        organizations={k: v for k, v in entries.items() if isinstance(v, Organization)},
        stacks={k: v for k, v in entries.items() if isinstance(v, Stack)},
        micro_credentials={k: v for k, v in entries.items() if isinstance(v, MicroCredential)},
        certificates={k: v for k, v in entries.items() if isinstance(v, Certificate)},
        source_dirs=tuple(folders),
        origins={entry_id: entry.folder for entry_id, entry in merged.items()},
    )
    _Checker(catalog, merged).run()
    return catalog


def load_catalog(*extra_dirs: Path, packaged: bool = True) -> Catalog:
    """Load the packaged issuers, then each extra folder; a later entry replaces an earlier one with its id.

    Each extra folder is either an issuer folder (it holds ``profile.json``) or a folder of issuer folders
    (such as ``$BADGE_HOME/issuers``).

    Args:
        *extra_dirs: more issuer folders or folders of issuer folders, loaded after the packaged ones.
        packaged: load the issuers shipped with the package first (default True).

    Raises:
        CatalogError: the first problem found, naming the file and JSON pointer.

    Example:
        >>> catalog = load_catalog()
        >>> catalog.achievement("writing-publicly-to-influence-parents").stack
        'going-public-with-policy-and-pedagogy'
    """
    validators = schema_validators()
    roots: list[list[CatalogPart]] = []
    sources: list[tuple[Path, bool]] = [(data_dir("issuers"), True)] if packaged else []
    sources += [(Path(extra), False) for extra in extra_dirs]
    for root, is_packaged in sources:
        parts = [
            parse_catalog_dir(folder, display=shown, validators=validators)
            for folder, shown in _issuer_folders(root, packaged=is_packaged)
        ]
        roots.append(parts)
    return build_catalog(roots)
