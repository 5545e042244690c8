"""The catalog's domain vocabulary: issuers, stacks, micro-credentials, rubrics and certificates.

Every class is a frozen, slotted, keyword-only dataclass. ``from_mapping()`` reads the JSON shape of the
files in ``issuers/<id>/`` (camelCase keys, see ``docs/catalog.md``) and ``to_mapping()`` writes the same
shape back, so ``X.from_mapping(x.to_mapping()) == x`` for every value ``x``.

The constructors check the invariants a single value can check on its own (a rubric criterion has at least
two levels and its required level is one of them, word and time limits are positive, a stack's "k of n" rule
is in range). A broken invariant raises :class:`~openbadge_ctq.errors.CatalogError` whose ``pointer`` is an
RFC 6901 JSON pointer relative to the mapping being read. Checks that need the whole catalog (unknown ids,
duplicates, image files) live in :mod:`openbadge_ctq.catalog`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Final, Self, TypeAlias

from .errors import CatalogError

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "EVIDENCE_KINDS",
    "ORGANIZATION_ROLES",
    "STATUSES",
    "Achievement",
    "Alignment",
    "Catalog",
    "Certificate",
    "EvidenceRequirement",
    "Image",
    "MicroCredential",
    "Organization",
    "OverviewRequirement",
    "ReflectionRequirement",
    "Requirements",
    "Rubric",
    "RubricCriterion",
    "RubricLevel",
    "Stack",
    "error_detail",
    "pointer_join",
    "relocate",
]

ACHIEVEMENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    }
)
"""The Open Badges 3.0 ``achievementType`` enumeration. Values starting with ``ext:`` are also accepted."""

ALIGNMENT_TARGET_TYPES: Final[frozenset[str]] = frozenset(
    {
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    }
)
"""The Open Badges 3.0 ``targetType`` enumeration. Values starting with ``ext:`` are also accepted."""

STATUSES: Final[tuple[str, ...]] = ("active", "in-development", "retired")
"""Lifecycle of a catalog entry: only ``active`` entries are awarded."""

EVIDENCE_KINDS: Final[tuple[str, ...]] = ("link", "image", "pdf")
"""How an evidence artifact may be submitted: a link to an online document, an image, or a PDF."""

ORGANIZATION_ROLES: Final[tuple[str, ...]] = ("issuer", "creator", "partner", "platform", "endorser")
"""What an organisation does in the catalog. Only organisations with the ``issuer`` role may issue."""


# ----------------------------------------------------------------------------------------------------
# JSON pointers and error relocation


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_join(*tokens: str | int) -> str:
    """Join reference tokens into an RFC 6901 JSON pointer: ``pointer_join("a", 0, "b/c") == "/a/0/b~1c"``."""
    return "".join("/" + _escape(token) for token in tokens)


def error_detail(err: CatalogError) -> str:
    """The message of ``err`` without the ``file#pointer: `` prefix that CatalogError adds."""
    where = f"{err.file}{'#' + err.pointer if err.pointer else ''}"
    prefix = f"{where}: "
    if where and err.message.startswith(prefix):
        return err.message[len(prefix) :]
    return err.message


def relocate(err: CatalogError, *, file: str | None = None, prefix: str = "") -> CatalogError:
    """A copy of ``err`` whose pointer is ``prefix + err.pointer`` and whose file is ``file`` (if given)."""
    return CatalogError(
        error_detail(err),
        file=err.file if file is None else file,
        pointer=prefix + err.pointer,
        hint=err.hint,
    )


@contextmanager
def _at(*tokens: str | int) -> Iterator[None]:
    """Re-raise a CatalogError from a nested value with its pointer prefixed by ``tokens``."""
    try:
        yield
    except CatalogError as err:
        raise relocate(err, prefix=pointer_join(*tokens)) from None


# ----------------------------------------------------------------------------------------------------
# Reading mappings (the schema has usually checked all this; these checks keep from_mapping safe on its own)

_MISSING: Final = object()


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _mapping(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise CatalogError(f"expected an object, found {_describe(data)}")
    return data


def _required(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING:
        raise CatalogError(f"expected property {key!r}, found none")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = _required(data, key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"expected a non-empty string, found {_describe(value)}", pointer=pointer_join(key))
    return value


def _opt_str(data: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    if data.get(key) is None:
        return default
    return _str(data, key)


def _str_with_default(data: Mapping[str, Any], key: str, default: str) -> str:
    return default if data.get(key) is None else _str(data, key)


def _str_tuple(data: Mapping[str, Any], key: str, *, required: bool = False) -> tuple[str, ...]:
    value = _required(data, key) if required else data.get(key, [])
    if not isinstance(value, list | tuple):
        raise CatalogError(f"expected an array of strings, found {_describe(value)}", pointer=pointer_join(key))
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise CatalogError(
                f"expected a non-empty string, found {_describe(item)}", pointer=pointer_join(key, index)
            )
    return tuple(value)


def _int(data: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, _MISSING) if default is None else data.get(key, default)
    if value is _MISSING:
        raise CatalogError(f"expected property {key!r}, found none")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(f"expected a whole number, found {_describe(value)}", pointer=pointer_join(key))
    return value


def _objects(data: Mapping[str, Any], key: str, *, required: bool = False) -> list[Mapping[str, Any]]:
    value = _required(data, key) if required else data.get(key, [])
    if not isinstance(value, list | tuple):
        raise CatalogError(f"expected an array of objects, found {_describe(value)}", pointer=pointer_join(key))
    out: list[Mapping[str, Any]] = []
    for index, item in enumerate(value):
        with _at(key, index):
            out.append(_mapping(item))
    return out


def _positive(value: int, pointer: str, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(f"expected a positive whole number of {what}, found {_describe(value)}", pointer=pointer)


def _check_achievement_type(value: str) -> None:
    if value not in ACHIEVEMENT_TYPES and not value.startswith("ext:"):
        raise CatalogError(
            f"expected an Open Badges 3.0 achievementType (such as 'MicroCredential') or an 'ext:' value, "
            f"found {value!r}",
            pointer="/achievementType",
        )


def _check_status(value: str) -> None:
    if value not in STATUSES:
        raise CatalogError(
            f"expected one of ({', '.join(repr(s) for s in STATUSES)}), found {value!r}", pointer="/status"
        )


def _unique(values: Sequence[str], key: str, what: str, sub: str | None = None) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            tokens: tuple[str | int, ...] = (key, index) if sub is None else (key, index, sub)
            raise CatalogError(
                f"expected unique {what}, found {value!r} again (first at index {seen[value]})",
                pointer=pointer_join(*tokens),
            )
        seen[value] = index


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set ``out[key]`` unless ``value`` is None (optional properties are left out, not written as null)."""
    if value is not None:
        out[key] = value


# ----------------------------------------------------------------------------------------------------
# Rubrics


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricLevel:
    """One performance level of a rubric criterion (an OB 3.0 RubricCriterionLevel)."""

    id: str
    name: str
    description: str
    points: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        _put(out, "points", self.points)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            description=_str(data, "description"),
            points=_opt_str(data, "points"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricCriterion:
    """One criterion of a rubric: its levels ordered low→high and the level an applicant must reach."""

    id: str
    name: str
    description: str
    levels: tuple[RubricLevel, ...]
    required_level: str

    def __post_init__(self) -> None:
        if len(self.levels) < 2:
            raise CatalogError(
                f"expected at least 2 rubric levels ordered low→high (a missing rubric level), "
                f"found {len(self.levels)}",
                pointer="/levels",
            )
        _unique([level.id for level in self.levels], "levels", "level ids", "id")
        _unique([level.name.casefold() for level in self.levels], "levels", "level names", "name")
        ids = [level.id for level in self.levels]
        if self.required_level not in ids:
            raise CatalogError(
                f"expected one of the criterion's level ids ({', '.join(repr(i) for i in ids)}), "
                f"found {self.required_level!r}",
                pointer="/requiredLevel",
            )

    def level(self, name_or_id: str) -> RubricLevel:
        """The level whose id or name is ``name_or_id`` (case-insensitive).

        Raises:
            CatalogError: no such level; the message lists the valid level names.
        """
        wanted = name_or_id.strip().casefold()
        for level in self.levels:
            if wanted in (level.id.casefold(), level.name.casefold()):
                return level
        names = ", ".join(repr(level.name) for level in self.levels)
        raise CatalogError(
            f"rubric criterion {self.id!r}: expected one of its levels ({names}), found {name_or_id!r}",
            hint=f"use a level name or id: {', '.join(level.id for level in self.levels)}",
        )

    def level_index(self, name_or_id: str) -> int:
        """Position of a level, 0 for the lowest."""
        return self.levels.index(self.level(name_or_id))

    @property
    def required(self) -> RubricLevel:
        """The level an applicant must reach (or exceed) on this criterion."""
        return self.level(self.required_level)

    def meets_required(self, level_id: str) -> bool:
        """True if ``level_id`` (an id or name) is the required level or a higher one."""
        return self.level_index(level_id) >= self.level_index(self.required_level)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "levels": [level.to_mapping() for level in self.levels],
            "requiredLevel": self.required_level,
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        levels: list[RubricLevel] = []
        for index, item in enumerate(_objects(data, "levels", required=True)):
            with _at("levels", index):
                levels.append(RubricLevel.from_mapping(item))
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            description=_str(data, "description"),
            levels=tuple(levels),
            required_level=_str(data, "requiredLevel"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Rubric:
    """The criteria an application is scored on. Each criterion has its own levels and required level."""

    criteria: tuple[RubricCriterion, ...]

    def __post_init__(self) -> None:
        if not self.criteria:
            raise CatalogError("expected at least 1 rubric criterion, found 0", pointer="/criteria")
        _unique([criterion.id for criterion in self.criteria], "criteria", "criterion ids", "id")

    def criterion(self, criterion_id: str) -> RubricCriterion:
        """The criterion with this id. Raises CatalogError listing the valid ids."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        ids = ", ".join(repr(c.id) for c in self.criteria)
        raise CatalogError(f"expected one of the rubric's criterion ids ({ids}), found {criterion_id!r}")

    def meets_required(self, achieved: Mapping[str, str]) -> bool:
        """True if ``achieved`` (criterion id → level id or name) reaches every criterion's required level."""
        return all(
            criterion.id in achieved and criterion.meets_required(achieved[criterion.id]) for criterion in self.criteria
        )

    def to_mapping(self) -> dict[str, Any]:
        return {"criteria": [criterion.to_mapping() for criterion in self.criteria]}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        criteria: list[RubricCriterion] = []
        for index, item in enumerate(_objects(data, "criteria", required=True)):
            with _at("criteria", index):
                criteria.append(RubricCriterion.from_mapping(item))
        return cls(criteria=tuple(criteria))


# ----------------------------------------------------------------------------------------------------
# Requirements: overview questions, evidence artifact, reflection


@dataclass(frozen=True, slots=True, kw_only=True)
class OverviewRequirement:
    """Part 1: short answers to the overview questions, with one word limit for all answers together."""

    questions: tuple[str, ...]
    max_words_total: int

    def __post_init__(self) -> None:
        if not self.questions:
            raise CatalogError("expected at least 1 overview question, found 0", pointer="/questions")
        _positive(self.max_words_total, "/maxWordsTotal", "words (a bad word limit)")

    def to_mapping(self) -> dict[str, Any]:
        return {"questions": list(self.questions), "maxWordsTotal": self.max_words_total}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            questions=_str_tuple(data, "questions", required=True),
            max_words_total=_int(data, "maxWordsTotal"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRequirement:
    """Part 2: the artifact(s) scored on the rubric, how they may be submitted and how recent they must be."""

    kinds: tuple[str, ...]
    max_age_months: int
    description: str
    count: int = 1

    def __post_init__(self) -> None:
        if not self.kinds:
            raise CatalogError("expected at least 1 evidence kind, found 0", pointer="/kinds")
        for index, kind in enumerate(self.kinds):
            if kind not in EVIDENCE_KINDS:
                raise CatalogError(
                    f"expected one of ({', '.join(repr(k) for k in EVIDENCE_KINDS)}), found {kind!r}",
                    pointer=pointer_join("kinds", index),
                )
        _unique(self.kinds, "kinds", "evidence kinds")
        _positive(self.max_age_months, "/maxAgeMonths", "months")
        _positive(self.count, "/count", "artifacts")

    def to_mapping(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "count": self.count,
            "maxAgeMonths": self.max_age_months,
            "description": self.description,
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            kinds=_str_tuple(data, "kinds", required=True),
            count=_int(data, "count", 1),
            max_age_months=_int(data, "maxAgeMonths"),
            description=_str(data, "description"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReflectionRequirement:
    """Part 3: a public video of at most ``video_max_seconds`` or a PDF of at most ``pdf_max_words`` words."""

    video_max_seconds: int
    pdf_max_words: int
    prompts: tuple[str, ...]

    def __post_init__(self) -> None:
        _positive(self.video_max_seconds, "/videoMaxSeconds", "seconds")
        _positive(self.pdf_max_words, "/pdfMaxWords", "words (a bad word limit)")
        if not self.prompts:
            raise CatalogError("expected at least 1 reflection prompt, found 0", pointer="/prompts")

    def to_mapping(self) -> dict[str, Any]:
        return {
            "videoMaxSeconds": self.video_max_seconds,
            "pdfMaxWords": self.pdf_max_words,
            "prompts": list(self.prompts),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            video_max_seconds=_int(data, "videoMaxSeconds"),
            pdf_max_words=_int(data, "pdfMaxWords"),
            prompts=_str_tuple(data, "prompts", required=True),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirements:
    """The three parts of an application: overview questions, evidence, reflection."""

    overview: OverviewRequirement
    evidence: EvidenceRequirement
    reflection: ReflectionRequirement

    def to_mapping(self) -> dict[str, Any]:
        return {
            "overview": self.overview.to_mapping(),
            "evidence": self.evidence.to_mapping(),
            "reflection": self.reflection.to_mapping(),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        with _at("overview"):
            overview = OverviewRequirement.from_mapping(_mapping(_required(data, "overview")))
        with _at("evidence"):
            evidence = EvidenceRequirement.from_mapping(_mapping(_required(data, "evidence")))
        with _at("reflection"):
            reflection = ReflectionRequirement.from_mapping(_mapping(_required(data, "reflection")))
        return cls(overview=overview, evidence=evidence, reflection=reflection)


# ----------------------------------------------------------------------------------------------------
# Alignment, images, organisations


@dataclass(frozen=True, slots=True, kw_only=True)
class Alignment:
    """A link to a framework, standard or published description the credential aligns with."""

    target_name: str
    target_url: str
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None
    target_type: str | None = None

    def __post_init__(self) -> None:
        if (
            self.target_type is not None
            and self.target_type not in ALIGNMENT_TARGET_TYPES
            and not self.target_type.startswith("ext:")
        ):
            raise CatalogError(
                f"expected an Open Badges 3.0 targetType or an 'ext:' value, found {self.target_type!r}",
                pointer="/targetType",
            )

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"targetName": self.target_name, "targetUrl": self.target_url}
        _put(out, "targetDescription", self.target_description)
        _put(out, "targetFramework", self.target_framework)
        _put(out, "targetCode", self.target_code)
        _put(out, "targetType", self.target_type)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            target_name=_str(data, "targetName"),
            target_url=_str(data, "targetUrl"),
            target_description=_opt_str(data, "targetDescription"),
            target_framework=_opt_str(data, "targetFramework"),
            target_code=_opt_str(data, "targetCode"),
            target_type=_opt_str(data, "targetType"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """Badge art: ``path`` is relative to the issuer folder (``images/x.svg``), ``caption`` is alt text."""

    path: str
    caption: str

    def __post_init__(self) -> None:
        parts = Path(self.path).parts
        if Path(self.path).is_absolute() or ".." in parts or "\\" in self.path or not parts:
            raise CatalogError(
                f"expected a path inside the issuer folder such as 'images/badge.svg', found {self.path!r}",
                pointer="/path",
            )

    def to_mapping(self) -> dict[str, Any]:
        return {"path": self.path, "caption": self.caption}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(path=_str(data, "path"), caption=_str(data, "caption"))


def _opt_image(data: Mapping[str, Any]) -> Image | None:
    if data.get("image") is None:
        return None
    with _at("image"):
        return Image.from_mapping(_mapping(data["image"]))


def _alignments(data: Mapping[str, Any]) -> tuple[Alignment, ...]:
    out: list[Alignment] = []
    for index, item in enumerate(_objects(data, "alignment")):
        with _at("alignment", index):
            out.append(Alignment.from_mapping(item))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """An issuer, creator, partner, platform or endorser.

    ``base_url`` is where this issuer publishes its public files (profile, badge classes, keys, status lists),
    ending in ``/``. When it is None the issuer publishes nothing: credentials use ``urn:uuid`` ids and a
    ``did:key`` issuer.
    """

    kind: ClassVar[str] = "organization"

    id: str
    name: str
    url: str
    email: str | None = None
    description: str | None = None
    image: Image | None = None
    roles: tuple[str, ...] = ("issuer",)
    base_url: str | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            raise CatalogError("expected at least 1 role, found 0", pointer="/roles")
        for index, role in enumerate(self.roles):
            if role not in ORGANIZATION_ROLES:
                raise CatalogError(
                    f"expected one of ({', '.join(repr(r) for r in ORGANIZATION_ROLES)}), found {role!r}",
                    pointer=pointer_join("roles", index),
                )
        _unique(self.roles, "roles", "roles")
        if self.base_url is not None and not (self.base_url.startswith("https://") and self.base_url.endswith("/")):
            raise CatalogError(f"expected an https URL ending in '/', found {self.base_url!r}", pointer="/baseUrl")

    @property
    def is_issuer(self) -> bool:
        """True if this organisation may issue credentials."""
        return "issuer" in self.roles

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "url": self.url}
        _put(out, "email", self.email)
        _put(out, "description", self.description)
        _put(out, "image", self.image.to_mapping() if self.image else None)
        out["roles"] = list(self.roles)
        _put(out, "baseUrl", self.base_url)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            url=_str(data, "url"),
            email=_opt_str(data, "email"),
            description=_opt_str(data, "description"),
            image=_opt_image(data),
            roles=_str_tuple(data, "roles", required=True),
            base_url=_opt_str(data, "baseUrl"),
        )


# ----------------------------------------------------------------------------------------------------
# What can be awarded


@dataclass(frozen=True, slots=True, kw_only=True)
class MicroCredential:
    """One issuable micro-credential: a discrete skill shown by evidence and scored on a rubric.

    ``family`` groups micro-credentials that share their tasks and differ only by ``domain`` (for example the
    four audiences of "Writing Publicly to Influence"). ``stack`` is the stack it belongs to; that stack must
    list it.
    """

    kind: ClassVar[str] = "microCredential"

    id: str
    name: str
    description: str
    criteria_narrative: str
    issuer: str
    stack: str | None = None
    family: str | None = None
    domain: str | None = None
    requirements: Requirements
    rubric: Rubric
    alignment: tuple[Alignment, ...] = ()
    tags: tuple[str, ...] = ()
    achievement_type: str = "MicroCredential"
    creator: str | None = None
    endorsers: tuple[str, ...] = ()
    image: Image | None = None
    status: str = "active"
    language: str = "en"
    version: str | None = None

    def __post_init__(self) -> None:
        _check_achievement_type(self.achievement_type)
        _check_status(self.status)
        if self.domain is not None and self.family is None:
            raise CatalogError("expected 'family' to be set when 'domain' is, found none", pointer="/domain")
        _unique(self.endorsers, "endorsers", "endorser ids")
        _unique(self.tags, "tags", "tags")

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        out["criteriaNarrative"] = self.criteria_narrative
        out["issuer"] = self.issuer
        _put(out, "stack", self.stack)
        _put(out, "family", self.family)
        _put(out, "domain", self.domain)
        out["requirements"] = self.requirements.to_mapping()
        out["rubric"] = self.rubric.to_mapping()
        out["alignment"] = [alignment.to_mapping() for alignment in self.alignment]
        out["tags"] = list(self.tags)
        out["achievementType"] = self.achievement_type
        _put(out, "creator", self.creator)
        out["endorsers"] = list(self.endorsers)
        _put(out, "image", self.image.to_mapping() if self.image else None)
        out["status"] = self.status
        out["language"] = self.language
        _put(out, "version", self.version)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        with _at("requirements"):
            requirements = Requirements.from_mapping(_mapping(_required(data, "requirements")))
        with _at("rubric"):
            rubric = Rubric.from_mapping(_mapping(_required(data, "rubric")))
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            description=_str(data, "description"),
            criteria_narrative=_str(data, "criteriaNarrative"),
            issuer=_str(data, "issuer"),
            stack=_opt_str(data, "stack"),
            family=_opt_str(data, "family"),
            domain=_opt_str(data, "domain"),
            requirements=requirements,
            rubric=rubric,
            alignment=_alignments(data),
            tags=_str_tuple(data, "tags"),
            achievement_type=_str_with_default(data, "achievementType", "MicroCredential"),
            creator=_opt_str(data, "creator"),
            endorsers=_str_tuple(data, "endorsers"),
            image=_opt_image(data),
            status=_str_with_default(data, "status", "active"),
            language=_str_with_default(data, "language", "en"),
            version=_opt_str(data, "version"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Stack:
    """A group of micro-credentials that adds up to a larger credential: ``required`` of ``members`` earn it.

    A stack whose members are not published yet has no members and ``required == 0``; it cannot be awarded.
    """

    kind: ClassVar[str] = "stack"

    id: str
    name: str
    description: str
    criteria_narrative: str
    issuer: str
    partners: tuple[str, ...] = ()
    status: str = "active"
    members: tuple[str, ...] = ()
    required: int
    image: Image | None = None
    tags: tuple[str, ...] = ()
    achievement_type: str = "Badge"
    language: str = "en"

    def __post_init__(self) -> None:
        _check_achievement_type(self.achievement_type)
        _check_status(self.status)
        _unique(self.members, "members", "member ids")
        _unique(self.partners, "partners", "partner ids")
        _unique(self.tags, "tags", "tags")
        n = len(self.members)
        if n == 0 and self.required != 0:
            raise CatalogError(
                f"expected 0 required members for a stack without members, found {self.required}",
                pointer="/required",
            )
        if n > 0 and not 1 <= self.required <= n:
            raise CatalogError(
                f"expected a number of required members from 1 to {n} (k of n), found {self.required}",
                pointer="/required",
            )

    @property
    def requires_all(self) -> bool:
        """True if every member must be earned."""
        return self.required == len(self.members)

    @property
    def awardable(self) -> bool:
        """True if the stack is active and has members, so it can be earned."""
        return self.status == "active" and bool(self.members)

    @property
    def rule(self) -> str:
        """The completion rule in words: ``"all 4"``, ``"2 of 4"`` or ``"no members listed"``."""
        if not self.members:
            return "no members listed"
        n = len(self.members)
        return f"all {n}" if self.requires_all else f"{self.required} of {n}"

    def is_complete(self, earned: Sequence[str] | frozenset[str] | set[str]) -> bool:
        """True if the earned micro-credential ids complete this stack."""
        return self.awardable and len(set(self.members) & set(earned)) >= self.required

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        out["criteriaNarrative"] = self.criteria_narrative
        out["issuer"] = self.issuer
        out["partners"] = list(self.partners)
        out["status"] = self.status
        out["members"] = list(self.members)
        out["required"] = "all" if self.members and self.requires_all else self.required
        _put(out, "image", self.image.to_mapping() if self.image else None)
        out["tags"] = list(self.tags)
        out["achievementType"] = self.achievement_type
        out["language"] = self.language
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        members = _str_tuple(data, "members")
        raw_required = data.get("required", "all")
        required = len(members) if raw_required == "all" else _int(data, "required")
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            description=_str(data, "description"),
            criteria_narrative=_str(data, "criteriaNarrative"),
            issuer=_str(data, "issuer"),
            partners=_str_tuple(data, "partners"),
            status=_str_with_default(data, "status", "active"),
            members=members,
            required=required,
            image=_opt_image(data),
            tags=_str_tuple(data, "tags"),
            achievement_type=_str_with_default(data, "achievementType", "Badge"),
            language=_str_with_default(data, "language", "en"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    """A certificate of completion or participation, counted in hours per workshop rather than scored."""

    kind: ClassVar[str] = "certificate"

    id: str
    name: str
    description: str
    criteria_narrative: str
    issuer: str
    hours_per_workshop: int
    achievement_type: str = "CertificateOfCompletion"
    image: Image | None = None
    tags: tuple[str, ...] = ()
    status: str = "active"
    language: str = "en"

    def __post_init__(self) -> None:
        _check_achievement_type(self.achievement_type)
        _check_status(self.status)
        _positive(self.hours_per_workshop, "/hoursPerWorkshop", "hours")
        _unique(self.tags, "tags", "tags")

    def hours(self, workshops: int) -> int:
        """Hours of active participation documented for ``workshops`` completed workshops."""
        if isinstance(workshops, bool) or workshops < 0:
            raise CatalogError(f"expected a number of workshops of 0 or more, found {workshops!r}")
        return workshops * self.hours_per_workshop

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        out["criteriaNarrative"] = self.criteria_narrative
        out["issuer"] = self.issuer
        out["hoursPerWorkshop"] = self.hours_per_workshop
        out["achievementType"] = self.achievement_type
        _put(out, "image", self.image.to_mapping() if self.image else None)
        out["tags"] = list(self.tags)
        out["status"] = self.status
        out["language"] = self.language
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        data = _mapping(data)
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            description=_str(data, "description"),
            criteria_narrative=_str(data, "criteriaNarrative"),
            issuer=_str(data, "issuer"),
            hours_per_workshop=_int(data, "hoursPerWorkshop"),
            achievement_type=_str_with_default(data, "achievementType", "CertificateOfCompletion"),
            image=_opt_image(data),
            tags=_str_tuple(data, "tags"),
            status=_str_with_default(data, "status", "active"),
            language=_str_with_default(data, "language", "en"),
        )


Achievement: TypeAlias = MicroCredential | Stack | Certificate
"""Anything the catalog can award."""


# ----------------------------------------------------------------------------------------------------
# The catalog


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _rebuild_catalog(fields: dict[str, Any]) -> Catalog:
    return Catalog(**fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """Every organisation, stack, micro-credential and certificate that was loaded, keyed by id in load order.

    Ids are unique across all four kinds. ``origins`` maps every id to the issuer folder it was read from
    (image paths are relative to it); ``source_dirs`` lists the issuer folders in load order.
    """

    organizations: Mapping[str, Organization]
    stacks: Mapping[str, Stack]
    micro_credentials: Mapping[str, MicroCredential]
    certificates: Mapping[str, Certificate]
    source_dirs: tuple[Path, ...] = ()
    origins: Mapping[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("organizations", "stacks", "micro_credentials", "certificates", "origins"):
            object.__setattr__(self, name, _frozen_map(getattr(self, name)))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as plain dicts (a read-only mapping cannot be pickled), e.g. for bulk issuing in worker processes."""
        fields = {
            "organizations": dict(self.organizations),
            "stacks": dict(self.stacks),
            "micro_credentials": dict(self.micro_credentials),
            "certificates": dict(self.certificates),
            "source_dirs": self.source_dirs,
            "origins": dict(self.origins),
        }
        return (_rebuild_catalog, (fields,))

    def organization(self, org_id: str) -> Organization:
        """The organisation with this id. Raises CatalogError with a hint listing the known ids."""
        try:
            return self.organizations[org_id]
        except KeyError:
            raise CatalogError(
                f"expected the id of an organisation in the catalog, found {org_id!r}",
                hint=f"known organisations: {', '.join(self.organizations) or 'none'}",
            ) from None

    def achievement(self, achievement_id: str) -> Achievement:
        """The stack, micro-credential or certificate with this id. Raises CatalogError with a hint."""
        for table in (self.micro_credentials, self.stacks, self.certificates):
            found = table.get(achievement_id)
            if found is not None:
                return found
        known = [a.id for a in self.achievements()]
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        raise CatalogError(
            f"expected the id of a stack, micro-credential or certificate in the catalog, found {achievement_id!r}",
            hint=f"run 'badge catalog list' to see every id (known: {shown or 'none'})",
        )

    def achievements(self) -> list[Achievement]:
        """Every stack, then every micro-credential, then every certificate, each in load order."""
        return [*self.stacks.values(), *self.micro_credentials.values(), *self.certificates.values()]

    def members(self, stack_id: str) -> tuple[MicroCredential, ...]:
        """The member micro-credentials of a stack, in the stack's order."""
        stack = self.achievement(stack_id)
        if not isinstance(stack, Stack):
            raise CatalogError(f"expected the id of a stack, found the {stack.kind} {stack_id!r}")
        return tuple(self.micro_credentials[member] for member in stack.members)

    def stacks_containing(self, micro_credential_id: str) -> tuple[Stack, ...]:
        """Every stack that lists this micro-credential as a member."""
        return tuple(stack for stack in self.stacks.values() if micro_credential_id in stack.members)

    def issuer_of(self, achievement: Achievement) -> Organization:
        """The organisation that issues ``achievement``."""
        return self.organization(achievement.issuer)

    def image_path(self, image: Image, owner_id: str) -> Path:
        """Absolute path of ``image``, which belongs to the organisation or achievement ``owner_id``."""
        folder = self.origins.get(owner_id)
        if folder is None:
            raise CatalogError(f"expected the id of a catalog entry with an issuer folder, found {owner_id!r}")
        return (folder / image.path).resolve()

    def to_mapping(self) -> dict[str, Any]:
        """The whole catalog in the shape of one ``catalog.json`` (organisations include the profiles)."""
        return {
            "organizations": [org.to_mapping() for org in self.organizations.values()],
            "stacks": [stack.to_mapping() for stack in self.stacks.values()],
            "microCredentials": [mc.to_mapping() for mc in self.micro_credentials.values()],
            "certificates": [cert.to_mapping() for cert in self.certificates.values()],
        }
