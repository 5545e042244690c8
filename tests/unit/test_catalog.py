"""The packaged catalog, the model's invariants and round-trips, and every catalog validation error."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbadge_ctq.catalog import check_svg, load_catalog, parse_issuer
from openbadge_ctq.errors import BadgeError, CatalogError
from openbadge_ctq.model import (
    Alignment,
    Catalog,
    Certificate,
    EvidenceRequirement,
    Image,
    MicroCredential,
    Organization,
    OverviewRequirement,
    ReflectionRequirement,
    Requirements,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Stack,
    pointer_join,
)
from openbadge_ctq.resources import data_dir

ISSUERS = data_dir("issuers")
WPI_DOMAINS = {
    "writing-publicly-to-influence-colleagues": "colleagues",
    "writing-publicly-to-influence-policymakers": "policymakers",
    "writing-publicly-to-influence-parents": "parents",
    "writing-publicly-to-influence-beyond-education": "beyond-education",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ------------------------------------------------------------------------------------------------------------
# A copy of the real data in tmp_path, mutated per test


Mutator = Callable[[dict[str, Any]], None]


class Tree:
    """A copy of issuers/ctq in a temporary folder, loaded without the packaged issuers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "ctq"
        shutil.copytree(ISSUERS / "ctq", self.folder)

    @property
    def catalog_file(self) -> Path:
        return self.folder / "catalog.json"

    @property
    def profile_file(self) -> Path:
        return self.folder / "profile.json"

    def edit(self, mutate: Mutator, *, profile: bool = False) -> None:
        path = self.profile_file if profile else self.catalog_file
        data = json.loads(path.read_text(encoding="utf-8"))
        mutate(data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    def load(self) -> Catalog:
        return load_catalog(self.root, packaged=False)

    def error(self) -> CatalogError:
        with pytest.raises(CatalogError) as info:
            self.load()
        return info.value


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path / "issuers")


def mc_index(data: dict[str, Any], mc_id: str) -> int:
    return next(i for i, mc in enumerate(data["microCredentials"]) if mc["id"] == mc_id)


def stack_index(data: dict[str, Any], stack_id: str) -> int:
    return next(i for i, s in enumerate(data["stacks"]) if s["id"] == stack_id)


# ------------------------------------------------------------------------------------------------------------
# The packaged catalog: what CTQ's material says


def test_packaged_catalog_loads_every_issuer_folder(catalog: Catalog) -> None:
    assert [p.name for p in catalog.source_dirs] == ["ctq", "riverbend"]
    assert {"ctq", "teachingpartners", "digital-promise", "bloomboard", "cce", "scope", "riverbend"} <= set(
        catalog.organizations
    )


def test_ctq_issuer_profile(catalog: Catalog) -> None:
    ctq = catalog.organization("ctq")
    assert ctq.name == "Center for Teaching Quality"
    assert ctq.url == "https://www.teachingquality.org"
    assert ctq.is_issuer
    assert ctq.email is None  # not invented
    assert ctq.base_url is None  # credentials use urn:uuid ids and a did:key issuer
    assert catalog.organization("teachingpartners").is_issuer
    for partner in ("digital-promise", "bloomboard", "cce", "scope"):
        assert not catalog.organization(partner).is_issuer


def test_ctq_stacks_and_their_status(catalog: Catalog) -> None:
    names = {s.id: s.name for s in catalog.stacks.values() if s.issuer == "ctq"}
    assert names == {
        "going-public-with-policy-and-pedagogy": "Going Public with Policy & Pedagogy",
        "collective-leadership": "Collective Leadership",
        "virtual-community-organizing": "Virtual Community Organizing",
        "leading-professional-learning": "Leading Professional Learning",
        "performance-assessment-for-learning": "Performance Assessment for Learning",
        "teachers-as-leaders-of-professional-learning": "Teachers as Leaders of Professional Learning",
    }
    pal = catalog.stacks["performance-assessment-for-learning"]
    tlpl = catalog.stacks["teachers-as-leaders-of-professional-learning"]
    assert (pal.status, pal.partners) == ("in-development", ("cce",))
    assert (tlpl.status, tlpl.partners) == ("in-development", ("scope",))
    assert not pal.awardable and not tlpl.awardable
    going_public = catalog.stacks["going-public-with-policy-and-pedagogy"]
    assert set(going_public.partners) == {"digital-promise", "bloomboard"}
    assert set(going_public.members) == set(WPI_DOMAINS)
    assert (going_public.required, going_public.rule) == (2, "2 of 4")
    collective = catalog.stacks["collective-leadership"]
    assert collective.members == ("cultivating-a-shared-purpose", "ensuring-alignment-to-a-shared-purpose")
    assert collective.requires_all and collective.rule == "all 2"


def test_writing_publicly_to_influence_domains(catalog: Catalog) -> None:
    for mc_id, domain in WPI_DOMAINS.items():
        mc = catalog.micro_credentials[mc_id]
        assert (mc.family, mc.domain, mc.stack) == (
            "writing-publicly-to-influence",
            domain,
            "going-public-with-policy-and-pedagogy",
        )
        assert mc.achievement_type == "MicroCredential"
        assert mc.issuer == "ctq" and mc.status == "active" and mc.language == "en"
        assert "Stories of Impact" in mc.description
        req = mc.requirements
        assert len(req.overview.questions) == 2 and req.overview.max_words_total == 500
        assert req.evidence.kinds == ("link", "image", "pdf") and req.evidence.count == 1
        assert req.evidence.max_age_months == 24
        assert req.reflection.video_max_seconds == 240 and req.reflection.pdf_max_words == 1000
        assert len(req.reflection.prompts) == 3
        for criterion in mc.rubric.criteria:
            assert [level.name for level in criterion.levels] == [
                "Not Yet",
                "Developing",
                "Proficient",
                "Exemplary",
            ]
            assert criterion.required.name == "Proficient"
        assert {a.target_url for a in mc.alignment} == {
            "https://teachingpartners.com/collaboratives/stories-of-impact/",
            "https://teachingpartners.com/series/stories-of-impact/requirements/",
        }
    names = [catalog.micro_credentials[i].name for i in WPI_DOMAINS]
    assert names[-1] == "Writing Publicly to Influence an Audience Beyond the Educational Community"


def test_certificate_of_completion(catalog: Catalog) -> None:
    cert = catalog.achievement("teachingpartners-certificate-of-completion")
    assert isinstance(cert, Certificate)
    assert cert.issuer == "teachingpartners"
    assert cert.achievement_type == "CertificateOfCompletion"
    assert cert.hours_per_workshop == 6
    assert cert.hours(3) == 18
    with pytest.raises(CatalogError):
        cert.hours(-1)


def test_second_issuer_is_not_ctq_specific(catalog: Catalog) -> None:
    riverbend = catalog.organization("riverbend")
    assert "fictional" in riverbend.name.lower()
    assert riverbend.base_url == "https://riverbend.example/badges/"
    stack = catalog.stacks["riverbend-family-literacy"]
    assert stack.issuer == "riverbend" and stack.requires_all
    for mc in catalog.members(stack.id):
        for criterion in mc.rubric.criteria:
            assert [level.id for level in criterion.levels] == ["beginning", "proficient", "accomplished"]


def test_catalog_lookups_and_helpers(catalog: Catalog) -> None:
    assert [a.kind for a in catalog.achievements()][:1] == ["stack"]
    assert len(catalog.achievements()) == len(catalog.stacks) + len(catalog.micro_credentials) + len(
        catalog.certificates
    )
    parents = catalog.achievement("writing-publicly-to-influence-parents")
    assert isinstance(parents, MicroCredential)
    assert catalog.stacks_containing(parents.id) == (catalog.stacks["going-public-with-policy-and-pedagogy"],)
    assert catalog.issuer_of(parents).id == "ctq"
    going_public = catalog.stacks["going-public-with-policy-and-pedagogy"]
    assert going_public.is_complete(
        ["writing-publicly-to-influence-parents", "writing-publicly-to-influence-colleagues"]
    )
    assert not going_public.is_complete(["writing-publicly-to-influence-parents"])
    assert not catalog.stacks["virtual-community-organizing"].is_complete([])


def test_unknown_ids_raise_catalog_error_with_hint(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.achievement("writing-publicly")
    assert "found 'writing-publicly'" in info.value.message
    assert info.value.hint is not None and "badge catalog list" in info.value.hint
    with pytest.raises(CatalogError) as org_info:
        catalog.organization("nobody")
    assert org_info.value.hint is not None and "ctq" in org_info.value.hint
    assert isinstance(org_info.value, BadgeError) and isinstance(org_info.value, ValueError)
    with pytest.raises(CatalogError, match="expected the id of a stack"):
        catalog.members("writing-publicly-to-influence-parents")


def test_catalog_mappings_are_read_only(catalog: Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.stacks["x"] = catalog.stacks["collective-leadership"]  # type: ignore[index]


# ------------------------------------------------------------------------------------------------------------
# Rubric behaviour


def test_rubric_level_lookup_by_id_or_name(catalog: Catalog) -> None:
    criterion = catalog.micro_credentials["writing-publicly-to-influence-colleagues"].rubric.criteria[0]
    assert criterion.level("PROFICIENT").id == "proficient"
    assert criterion.level("not yet").id == "not-yet"
    assert criterion.meets_required("Exemplary")
    assert criterion.meets_required("proficient")
    assert not criterion.meets_required("Developing")
    with pytest.raises(CatalogError) as info:
        criterion.level("competent")
    message = info.value.message
    assert "'Not Yet', 'Developing', 'Proficient', 'Exemplary'" in message and "found 'competent'" in message


def test_rubric_meets_required_on_every_criterion(catalog: Catalog) -> None:
    rubric = catalog.micro_credentials["cultivating-a-shared-purpose"].rubric
    assert rubric.meets_required({"shared-authorship": "exemplary", "clarity-of-purpose": "Proficient"})
    assert not rubric.meets_required({"shared-authorship": "exemplary", "clarity-of-purpose": "developing"})
    assert not rubric.meets_required({"shared-authorship": "exemplary"})
    assert rubric.criterion("clarity-of-purpose").name == "Clarity of purpose"
    with pytest.raises(CatalogError, match="criterion ids"):
        rubric.criterion("nope")


# ------------------------------------------------------------------------------------------------------------
# Round trips


def test_every_packaged_entry_round_trips(catalog: Catalog) -> None:
    for org in catalog.organizations.values():
        assert Organization.from_mapping(org.to_mapping()) == org
    for stack in catalog.stacks.values():
        assert Stack.from_mapping(stack.to_mapping()) == stack
    for mc in catalog.micro_credentials.values():
        assert MicroCredential.from_mapping(mc.to_mapping()) == mc
        assert MicroCredential.from_mapping(json.loads(json.dumps(mc.to_mapping()))) == mc
    for cert in catalog.certificates.values():
        assert Certificate.from_mapping(cert.to_mapping()) == cert


def test_to_mapping_has_the_shape_of_the_data_files(catalog: Catalog) -> None:
    raw = json.loads((ISSUERS / "ctq" / "catalog.json").read_text(encoding="utf-8"))
    for item in raw["microCredentials"]:
        assert catalog.micro_credentials[item["id"]].to_mapping() == item
    for item in raw["certificates"]:
        assert catalog.certificates[item["id"]].to_mapping() == item
    going_public = raw["stacks"][0]
    assert catalog.stacks[going_public["id"]].to_mapping() == going_public


text = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
slug = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
optional_text = st.none() | text


@st.composite
def criteria(draw: st.DrawFn) -> RubricCriterion:
    ids = draw(st.lists(slug, min_size=2, max_size=5, unique=True))
    names = draw(st.lists(text, min_size=len(ids), max_size=len(ids), unique_by=str.casefold))
    levels = tuple(
        RubricLevel(id=i, name=n, description=draw(text), points=draw(optional_text))
        for i, n in zip(ids, names, strict=True)
    )
    return RubricCriterion(
        id=draw(slug),
        name=draw(text),
        description=draw(text),
        levels=levels,
        required_level=draw(st.sampled_from(ids)),
    )


@st.composite
def rubrics(draw: st.DrawFn) -> Rubric:
    items = draw(st.lists(criteria(), min_size=1, max_size=3, unique_by=lambda c: c.id))
    return Rubric(criteria=tuple(items))


positive = st.integers(min_value=1, max_value=10_000)
requirements = st.builds(
    Requirements,
    overview=st.builds(
        OverviewRequirement,
        questions=st.lists(text, min_size=1, max_size=3).map(tuple),
        max_words_total=positive,
    ),
    evidence=st.builds(
        EvidenceRequirement,
        kinds=st.lists(st.sampled_from(["link", "image", "pdf"]), min_size=1, unique=True).map(tuple),
        max_age_months=positive,
        description=text,
        count=positive,
    ),
    reflection=st.builds(
        ReflectionRequirement,
        video_max_seconds=positive,
        pdf_max_words=positive,
        prompts=st.lists(text, min_size=1, max_size=3).map(tuple),
    ),
)
images = st.none() | st.builds(Image, path=st.from_regex(r"images/[a-z]{1,8}\.svg", fullmatch=True), caption=text)
alignments = st.builds(
    Alignment,
    target_name=text,
    target_url=st.just("https://example.org/framework"),
    target_description=optional_text,
    target_framework=optional_text,
    target_code=optional_text,
    target_type=st.none() | st.sampled_from(["CFItem", "ext:Collaborative"]),
)


@st.composite
def micro_credentials(draw: st.DrawFn) -> MicroCredential:
    family = draw(st.none() | slug)
    return MicroCredential(
        id=draw(slug),
        name=draw(text),
        description=draw(text),
        criteria_narrative=draw(text),
        issuer=draw(slug),
        stack=draw(st.none() | slug),
        family=family,
        domain=None if family is None else draw(st.none() | slug),
        requirements=draw(requirements),
        rubric=draw(rubrics()),
        alignment=tuple(draw(st.lists(alignments, max_size=2))),
        tags=tuple(draw(st.lists(text, max_size=3, unique=True))),
        achievement_type=draw(st.sampled_from(["MicroCredential", "Badge", "ext:Thing"])),
        creator=draw(st.none() | slug),
        endorsers=tuple(draw(st.lists(slug, max_size=3, unique=True))),
        image=draw(images),
        status=draw(st.sampled_from(["active", "in-development", "retired"])),
        language=draw(st.sampled_from(["en", "en-US", "fr"])),
        version=draw(optional_text),
    )


@st.composite
def stacks(draw: st.DrawFn) -> Stack:
    members = tuple(draw(st.lists(slug, max_size=5, unique=True)))
    required = draw(st.integers(min_value=1, max_value=len(members))) if members else 0
    return Stack(
        id=draw(slug),
        name=draw(text),
        description=draw(text),
        criteria_narrative=draw(text),
        issuer=draw(slug),
        partners=tuple(draw(st.lists(slug, max_size=3, unique=True))),
        status=draw(st.sampled_from(["active", "in-development"])),
        members=members,
        required=required,
        image=draw(images),
        tags=tuple(draw(st.lists(text, max_size=3, unique=True))),
    )


@settings(max_examples=60, deadline=None)
@given(micro_credentials())
def test_micro_credential_round_trip_property(mc: MicroCredential) -> None:
    assert MicroCredential.from_mapping(mc.to_mapping()) == mc


@settings(max_examples=60, deadline=None)
@given(stacks())
def test_stack_round_trip_property(stack: Stack) -> None:
    assert Stack.from_mapping(stack.to_mapping()) == stack


@settings(max_examples=30, deadline=None)
@given(
    st.builds(
        Organization,
        id=slug,
        name=text,
        url=st.just("https://example.org"),
        email=optional_text,
        description=optional_text,
        image=images,
        roles=st.lists(st.sampled_from(["issuer", "partner", "platform"]), min_size=1, unique=True).map(tuple),
        base_url=st.none() | st.just("https://example.org/badges/"),
    )
)
def test_organization_round_trip_property(org: Organization) -> None:
    assert Organization.from_mapping(org.to_mapping()) == org


# ------------------------------------------------------------------------------------------------------------
# Images: present, safe and accessible


def all_images() -> list[Path]:
    return sorted(ISSUERS.glob("*/images/*.svg"))


def test_every_catalog_image_exists(catalog: Catalog) -> None:
    referenced = set()
    for entry in [*catalog.organizations.values(), *catalog.achievements()]:
        if entry.image is not None:
            path = catalog.image_path(entry.image, entry.id)
            assert path.is_file(), path
            assert entry.image.caption.strip()
            referenced.add(path)
    assert set(all_images()) == referenced  # no orphan art either
    for stack in catalog.stacks.values():
        assert stack.image is not None
    for cert in catalog.certificates.values():
        assert cert.image is not None
    for mc_id in WPI_DOMAINS:
        assert catalog.micro_credentials[mc_id].image is not None


@pytest.mark.parametrize("path", all_images(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_badge_art_is_safe_accessible_and_small(path: Path) -> None:
    data = path.read_bytes()
    assert check_svg(data) is None
    assert len(data) < 6 * 1024
    root = ElementTree.fromstring(data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    title = root.find(f"{ns}title")
    desc = root.find(f"{ns}desc")
    assert title is not None and (title.text or "").strip()
    assert desc is not None and (desc.text or "").strip()
    texts = " ".join((t.text or "") for t in root.iter(f"{ns}text")).lower()
    assert texts.strip(), "the credential name must be on the badge"
    assert not re.search(rb"href|<image|https?:", data.replace(b"http://www.w3.org/2000/svg", b""))


@pytest.mark.parametrize(
    ("svg", "found"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "onload="),
        (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "<!ENTITY"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="https://tracker.example/p.png"/></svg>',
            "href='https://tracker.example/p.png'",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', "<foreignObject>"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://x.example/a)"/></svg>',
            "url()",
        ),
        (b"<html/>", "<svg> root"),
        (b"<svg", "syntax error"),
    ],
)
def test_check_svg_refuses_unsafe_content(svg: bytes, found: str) -> None:
    problem = check_svg(svg)
    assert problem is not None and found in problem


def test_check_svg_accepts_internal_references() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<defs><circle id="c" r="4"/></defs><use xlink:href="#c"/><rect fill="url(#c)"/></svg>'
    )
    assert check_svg(svg) is None


# ------------------------------------------------------------------------------------------------------------
# Validation errors: each names the file, the JSON pointer, what was expected and what was found


def test_copy_of_real_data_loads(tree: Tree) -> None:
    loaded = tree.load()
    assert "writing-publicly-to-influence-parents" in loaded.micro_credentials
    assert loaded.source_dirs == (tree.folder,)


def test_invalid_json_reports_line_and_column(tree: Tree) -> None:
    tree.catalog_file.write_text('{\n  "stacks": [\n    {"id": "x",,}\n  ]\n}\n', encoding="utf-8")
    err = tree.error()
    assert err.file == f"{tree.folder}/catalog.json"
    assert "expected valid JSON" in err.message and "line 3, column 16" in err.message


def test_not_utf8(tree: Tree) -> None:
    tree.profile_file.write_bytes(b'{"name": "\xff"}')
    assert "expected UTF-8" in tree.error().message


def test_required_level_not_among_the_levels(tree: Tree) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["microCredentials"][3]["rubric"]["criteria"][0]["requiredLevel"] = "competent"

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer == "/microCredentials/3/rubric/criteria/0/requiredLevel"
    assert str(err) == (
        f"{tree.folder}/catalog.json#/microCredentials/3/rubric/criteria/0/requiredLevel: "
        "expected one of the criterion's level ids ('not-yet', 'developing', 'proficient', 'exemplary'), "
        "found 'competent'"
    )


def test_missing_rubric_level(tree: Tree) -> None:
    def mutate(data: dict[str, Any]) -> None:
        criterion = data["microCredentials"][0]["rubric"]["criteria"][1]
        criterion["levels"] = [criterion["levels"][2]]

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer == "/microCredentials/0/rubric/criteria/1/levels"
    assert "expected at least 2 rubric levels" in err.message and "found 1" in err.message


def test_duplicate_level_ids(tree: Tree) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["microCredentials"][0]["rubric"]["criteria"][0]["levels"][1]["id"] = "not-yet"

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer == "/microCredentials/0/rubric/criteria/0/levels/1/id"
    assert "expected unique level ids, found 'not-yet' again" in err.message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("requirements", "overview", "maxWordsTotal"), 0),
        (("requirements", "reflection", "pdfMaxWords"), -5),
        (("requirements", "reflection", "videoMaxSeconds"), 0),
        (("requirements", "evidence", "maxAgeMonths"), 0),
    ],
)
def test_bad_word_or_time_limit(tree: Tree, path: tuple[str, ...], value: int) -> None:
    def mutate(data: dict[str, Any]) -> None:
        node = data["microCredentials"][1]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer == "/microCredentials/1/" + "/".join(path)
    assert "greater than 0" in err.message and f"found {value}" in err.message


def test_bad_word_limit_that_is_not_a_number(tree: Tree) -> None:
    tree.edit(lambda d: d["microCredentials"][0]["requirements"]["overview"].__setitem__("maxWordsTotal", "500"))
    err = tree.error()
    assert err.pointer == "/microCredentials/0/requirements/overview/maxWordsTotal"
    assert err.message.endswith("expected a whole number, found '500'")


def test_bad_word_limit_is_also_caught_without_the_schema() -> None:
    with pytest.raises(CatalogError) as info:
        OverviewRequirement.from_mapping({"questions": ["Why?"], "maxWordsTotal": 0})
    assert info.value.pointer == "/maxWordsTotal"
    assert "a bad word limit" in info.value.message
    with pytest.raises(CatalogError) as nested:
        Requirements.from_mapping(
            {
                "overview": {"questions": ["Why?"], "maxWordsTotal": 10},
                "evidence": {"kinds": ["pdf"], "maxAgeMonths": 1, "description": "x"},
                "reflection": {"videoMaxSeconds": 1, "pdfMaxWords": True, "prompts": ["p"]},
            }
        )
    assert nested.value.pointer == "/reflection/pdfMaxWords"


def test_missing_required_property(tree: Tree) -> None:
    tree.edit(lambda d: d["stacks"][1].pop("name"))
    err = tree.error()
    assert err.pointer == "/stacks/1"
    assert err.message.endswith("expected property 'name', found none")


def test_unknown_property(tree: Tree) -> None:
    tree.edit(lambda d: d["certificates"][0].__setitem__("hoursPerWorkhop", 6))
    err = tree.error()
    assert err.pointer == "/certificates/0"
    assert "found unknown property 'hoursPerWorkhop'" in err.message


def test_bad_enum_and_slug(tree: Tree) -> None:
    tree.edit(lambda d: d["stacks"][0].__setitem__("status", "live"))
    err = tree.error()
    assert err.pointer == "/stacks/0/status"
    assert "expected one of ('active', 'in-development', 'retired'), found 'live'" in err.message

    def rename(data: dict[str, Any]) -> None:
        data["stacks"][0]["status"] = "active"
        data["stacks"][0]["id"] = "Bad Id"

    tree.edit(rename)
    err = tree.error()
    assert err.pointer == "/stacks/0/id"
    assert "expected a lower-case id" in err.message and "found 'Bad Id'" in err.message


def test_bad_achievement_type(tree: Tree) -> None:
    tree.edit(lambda d: d["microCredentials"][0].__setitem__("achievementType", "Microcredential"))
    err = tree.error()
    assert err.pointer == "/microCredentials/0/achievementType"
    assert "Open Badges 3.0 achievementType" in err.message and "found 'Microcredential'" in err.message


def test_unknown_stack_reference(tree: Tree) -> None:
    tree.edit(lambda d: d["microCredentials"][2].__setitem__("stack", "going-public"))
    err = tree.error()
    assert err.pointer == "/microCredentials/2/stack"
    assert "expected the id of a stack in the catalog" in err.message and "found 'going-public'" in err.message


def test_stack_must_list_its_members(tree: Tree) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["microCredentials"][mc_index(data, "cultivating-a-shared-purpose")]["stack"] = (
            "going-public-with-policy-and-pedagogy"
        )

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer.endswith("/stack")
    assert "expected stack 'going-public-with-policy-and-pedagogy' to list 'cultivating-a-shared-purpose'" in (
        err.message
    )


def test_unknown_organisation_reference(tree: Tree) -> None:
    tree.edit(lambda d: d["microCredentials"][0].__setitem__("endorsers", ["digital-promise", "nobody"]))
    err = tree.error()
    assert err.pointer == "/microCredentials/0/endorsers/1"
    assert "expected the id of an organisation in the catalog" in err.message and "found 'nobody'" in err.message


def test_issuer_must_have_the_issuer_role(tree: Tree) -> None:
    tree.edit(lambda d: d["certificates"][0].__setitem__("issuer", "bloomboard"))
    err = tree.error()
    assert err.pointer == "/certificates/0/issuer"
    assert "role 'issuer'" in err.message and "found 'bloomboard'" in err.message


def test_unknown_stack_member(tree: Tree) -> None:
    tree.edit(lambda d: d["stacks"][1]["members"].append("cultivating-shared-purpose"))
    err = tree.error()
    assert err.pointer == "/stacks/1/members/2"
    assert "expected the id of a micro-credential" in err.message
    assert err.hint is not None and "cultivating-a-shared-purpose" in err.hint


def test_duplicate_ids_in_one_catalog(tree: Tree) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["microCredentials"][1]["id"] = data["microCredentials"][0]["id"]

    tree.edit(mutate)
    err = tree.error()
    assert err.pointer == "/microCredentials/1/id"
    assert "expected a unique id, found 'writing-publicly-to-influence-colleagues' again" in err.message
    assert "#/microCredentials/0" in err.message


def test_duplicate_ids_across_kinds(tree: Tree) -> None:
    tree.edit(lambda d: d["certificates"][0].__setitem__("id", "collective-leadership"))
    err = tree.error()
    assert err.pointer == "/certificates/0/id"
    assert "first defined as a stack" in err.message


def test_duplicate_domain_in_a_family(tree: Tree) -> None:
    tree.edit(lambda d: d["microCredentials"][1].__setitem__("domain", "colleagues"))
    err = tree.error()
    assert err.pointer == "/microCredentials/1/domain"
    assert "one micro-credential per domain" in err.message


@pytest.mark.parametrize(("required", "found"), [(5, "found 5"), (0, "found 0")])
def test_k_of_n_out_of_range(tree: Tree, required: int, found: str) -> None:
    tree.edit(lambda d: d["stacks"][0].__setitem__("required", required))
    err = tree.error()
    assert err.pointer == "/stacks/0/required"
    assert "from 1 to 4 (k of n)" in err.message and found in err.message


def test_stack_without_members_must_require_zero(tree: Tree) -> None:
    tree.edit(lambda d: d["stacks"][stack_index(d, "virtual-community-organizing")].__setitem__("required", 1))
    err = tree.error()
    assert err.pointer.endswith("/required")
    assert "expected 0 required members for a stack without members, found 1" in err.message


def test_image_file_missing(tree: Tree) -> None:
    (tree.folder / "images" / "wpi-parents.svg").unlink()
    err = tree.error()
    assert err.pointer == "/microCredentials/2/image/path"
    assert "expected an image file at" in err.message and "images/wpi-parents.svg, found none" in err.message


def test_image_path_outside_images_folder(tree: Tree) -> None:
    tree.edit(lambda d: d["stacks"][0]["image"].__setitem__("path", "../../etc/passwd.svg"))
    err = tree.error()
    assert err.pointer == "/stacks/0/image/path"
    assert "found '../../etc/passwd.svg'" in err.message


@pytest.mark.parametrize(
    ("payload", "found"),
    [
        (b'<script>alert("x")</script>', "script element"),
        (b'<rect width="1" height="1" onclick="steal()"/>', "event-handler attribute onclick="),
    ],
)
def test_unsafe_svg_in_catalog(tree: Tree, payload: bytes, found: str) -> None:
    path = tree.folder / "images" / "stack-collective-leadership.svg"
    path.write_bytes(path.read_bytes().replace(b"</svg>", payload + b"</svg>"))
    err = tree.error()
    assert err.pointer == "/stacks/1/image/path"
    assert "expected a safe SVG" in err.message and found in err.message


def test_svg_with_entity_declaration_in_catalog(tree: Tree) -> None:
    path = tree.folder / "images" / "certificate-teachingpartners.svg"
    path.write_bytes(b'<!DOCTYPE svg [<!ENTITY a "aaaa">]>\n' + path.read_bytes())
    err = tree.error()
    assert err.pointer == "/certificates/0/image/path"
    assert "<!ENTITY" in err.message


def test_profile_id_must_match_the_folder(tree: Tree) -> None:
    tree.edit(lambda d: d.__setitem__("id", "center-for-teaching-quality"), profile=True)
    err = tree.error()
    assert (err.file, err.pointer) == (f"{tree.folder}/profile.json", "/id")
    assert "expected the issuer id to be the folder name 'ctq'" in err.message


def test_profile_base_url_must_be_https_folder(tree: Tree) -> None:
    tree.edit(lambda d: d.__setitem__("baseUrl", "http://example.org/badges"), profile=True)
    err = tree.error()
    assert err.pointer == "/baseUrl"
    assert "an https URL ending in '/'" in err.message


def test_catalog_without_profile(tree: Tree) -> None:
    tree.profile_file.unlink()
    err = tree.error()
    assert err.file.endswith("ctq/profile.json")
    assert "expected an issuer profile profile.json" in err.message


def test_missing_extra_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="expected a folder of issuer folders"):
        load_catalog(tmp_path / "nothing-here", packaged=False)


def test_packaged_files_are_named_relative_to_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = Tree(tmp_path / "issuers")
    copy.edit(lambda d: d["stacks"][0].__setitem__("required", 9))
    monkeypatch.setattr(
        "openbadge_ctq.catalog.data_dir", lambda name: copy.root if name == "issuers" else data_dir(name)
    )
    with pytest.raises(CatalogError) as info:
        load_catalog()
    assert str(info.value).startswith("issuers/ctq/catalog.json#/stacks/0/required: ")


# ------------------------------------------------------------------------------------------------------------
# Extra issuer folders


def write_issuer(folder: Path, profile: dict[str, Any], catalog_data: dict[str, Any] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.json").write_text(json.dumps(profile), encoding="utf-8")
    if catalog_data is not None:
        (folder / "catalog.json").write_text(json.dumps(catalog_data), encoding="utf-8")


def test_extra_issuer_folder_adds_and_overrides(tmp_path: Path) -> None:
    root = tmp_path / "home-issuers"
    # override CTQ's profile only: now it publishes at a base URL
    write_issuer(
        root / "ctq",
        {
            "id": "ctq",
            "name": "Center for Teaching Quality",
            "url": "https://www.teachingquality.org",
            "roles": ["issuer"],
            "baseUrl": "https://badges.district.example/ctq/",
        },
    )
    # a new issuer whose micro-credential joins a packaged CTQ stack is refused (the stack does not list it),
    # but one in its own stack referencing a packaged partner is fine
    mc = json.loads((ISSUERS / "riverbend" / "catalog.json").read_text(encoding="utf-8"))["microCredentials"][1]
    mc = {
        **mc,
        "id": "lakeside-routines",
        "issuer": "lakeside",
        "stack": None,
        "endorsers": ["digital-promise"],
    }
    del mc["image"]
    del mc["stack"]
    write_issuer(
        root / "lakeside",
        {
            "id": "lakeside",
            "name": "Lakeside Academy (fictional)",
            "url": "https://lakeside.example",
            "roles": ["issuer"],
        },
        {"microCredentials": [mc]},
    )
    loaded = load_catalog(root)
    assert loaded.organization("ctq").base_url == "https://badges.district.example/ctq/"
    assert loaded.origins["ctq"] == root / "ctq"
    assert loaded.origins["writing-publicly-to-influence-parents"] == ISSUERS / "ctq"
    assert loaded.micro_credentials["lakeside-routines"].endorsers == ("digital-promise",)
    assert loaded.source_dirs[-2:] == (root / "ctq", root / "lakeside")


def test_extra_dir_may_be_a_single_issuer_folder(tmp_path: Path) -> None:
    folder = tmp_path / "solo"
    write_issuer(
        folder,
        {"id": "solo", "name": "Solo Tutor (fictional)", "url": "https://solo.example", "roles": ["issuer"]},
    )
    loaded = load_catalog(folder)
    assert "solo" in loaded.organizations and "ctq" in loaded.organizations


def test_override_replaces_an_entry_of_the_same_kind(tmp_path: Path) -> None:
    root = tmp_path / "more"
    shutil.copytree(ISSUERS / "ctq", root / "ctq")
    data = json.loads((root / "ctq" / "catalog.json").read_text(encoding="utf-8"))
    data["certificates"][0]["hoursPerWorkshop"] = 7
    (root / "ctq" / "catalog.json").write_text(json.dumps(data), encoding="utf-8")
    loaded = load_catalog(root)
    assert loaded.certificates["teachingpartners-certificate-of-completion"].hours_per_workshop == 7


def test_override_cannot_change_the_kind_of_an_id(tmp_path: Path) -> None:
    root = tmp_path / "more"
    write_issuer(
        root / "other",
        {"id": "other", "name": "Other (fictional)", "url": "https://other.example", "roles": ["issuer"]},
        {
            "organizations": [
                {"id": "collective-leadership", "name": "X", "url": "https://x.example", "roles": ["partner"]}
            ]
        },
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    assert info.value.pointer == "/organizations/0/id"
    assert "first defined as a stack" in info.value.message


def test_parse_issuer_is_pure(tmp_path: Path) -> None:
    part = parse_issuer(
        {"id": "pure", "name": "Pure (fictional)", "url": "https://pure.example", "roles": ["issuer"]},
        None,
        folder=tmp_path / "pure",
        display="issuers/pure",
    )
    assert [o.value.id for o in part.organizations] == ["pure"]
    assert part.organizations[0].file == "issuers/pure/profile.json"


def test_pointer_join_escapes_rfc6901() -> None:
    assert pointer_join("a/b", "m~n", 0) == "/a~1b/m~0n/0"


def test_schemas_are_valid_draft_2020_12() -> None:
    from jsonschema import Draft202012Validator

    for name in ("catalog.schema.json", "issuer-profile.schema.json"):
        schema = json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].startswith("urn:openbadge-ctq:schema:")


def test_duplicate_json_keys_are_refused(tree: Tree) -> None:
    text = tree.profile_file.read_text(encoding="utf-8")
    tree.profile_file.write_text(text.replace('"id": "ctq",', '"id": "ctq", "id": "ctq2",'), encoding="utf-8")
    err = tree.error()
    assert err.message.endswith("expected each key once per object, found 'id' twice")


def test_a_catalog_survives_pickling_for_worker_processes() -> None:
    import pickle

    catalog = load_catalog()
    copy = pickle.loads(pickle.dumps(catalog))
    assert copy == catalog
    assert copy.achievement("writing-publicly-to-influence-colleagues") == catalog.achievement(
        "writing-publicly-to-influence-colleagues"
    )
    with pytest.raises(TypeError):
        copy.organizations["x"] = copy.organizations["ctq"]  # type: ignore[index]
