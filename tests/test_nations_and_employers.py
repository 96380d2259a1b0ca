"""One profile for each nation and employer type that makes sense, generated here: the law each prints.

Statutory social work in Northern Ireland is run by Health and Social Care trusts, so there is no
Northern Ireland council; Scotland has no family court advisory service like Cafcass, Cafcass Cymru
or the Northern Ireland guardian agency, so there is no Scottish court service.
"""

from __future__ import annotations

import re

import pytest
from conftest import base_profile, with_answers

from policy_builder.pipeline.assemble import build_policy
from policy_builder.render.markdown import render_guide, render_policy

NATIONS = ("england", "wales", "scotland", "northern_ireland")
TYPES = ("local_authority", "nhs_trust", "voluntary", "court_service", "independent_provider")
COMBINATIONS = [
    (nation, kind)
    for nation in NATIONS
    for kind in TYPES
    if (nation, kind) not in {("northern_ireland", "local_authority"), ("scotland", "court_service")}
]
PUBLIC = {"local_authority", "nhs_trust", "court_service"}

REGULATOR = {
    "england": "Social Work England's professional standards",
    "wales": "the Social Care Wales Code of Professional Practice for Social Care Workers",
    "scotland": "the SSSC Code for Social Service Workers",
    "northern_ireland": "the NISCC Standards of Conduct and Practice for Social Workers and for Social Care Workers",
}
FOI = {
    ("england", "local_authority"),
    ("england", "nhs_trust"),
    ("england", "court_service"),
    ("wales", "local_authority"),
    ("wales", "nhs_trust"),
    ("wales", "court_service"),
    ("scotland", "local_authority"),
    ("scotland", "nhs_trust"),
    ("northern_ireland", "nhs_trust"),
}


def body(markdown: str) -> str:
    """The policy without its list of documents, on one line."""
    return " ".join(re.split(r"^## \d+\. Documents this policy rests on$", markdown, flags=re.M)[0].split())


def policy_text(answers_for, library, nation: str, kind: str, **answers) -> str:
    profile = with_answers(base_profile(), organisation__nation=nation, organisation__type=kind, **answers)
    if "surveillance__powers" not in answers:
        profile["surveillance"].pop("powers", None)
    return body(render_policy(build_policy(library, answers_for(profile))))


@pytest.fixture(scope="module")
def texts(library, tmp_path_factory):
    import yaml
    from conftest import BUILD_DATE

    from policy_builder.pipeline.profile import load_profile

    folder = tmp_path_factory.mktemp("combinations")
    built = {}
    for nation, kind in COMBINATIONS:
        profile = with_answers(base_profile(), organisation__nation=nation, organisation__type=kind)
        profile["surveillance"].pop("powers", None)  # each type's own default
        path = folder / f"{nation}-{kind}.yaml"
        path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
        built[nation, kind] = body(render_policy(build_policy(library, answers)))
    return built


@pytest.fixture(scope="module")
def guides(library, tmp_path_factory):
    """The practice guide for each combination: the tests an authorising officer applies live there."""
    import yaml
    from conftest import BUILD_DATE

    from policy_builder.pipeline.profile import load_profile

    folder = tmp_path_factory.mktemp("guides")
    built = {}
    for nation, kind in COMBINATIONS:
        profile = with_answers(base_profile(), organisation__nation=nation, organisation__type=kind)
        profile["surveillance"].pop("powers", None)
        path = folder / f"{nation}-{kind}.yaml"
        path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
        built[nation, kind] = " ".join(render_guide(build_policy(library, answers)).split())
    return built


def test_eighteen_combinations_are_built(texts):
    assert len(texts) == 18


@pytest.mark.parametrize(("nation", "kind"), COMBINATIONS)
def test_regulator_surveillance_law_and_foi_of_the_nation(texts, nation: str, kind: str):
    text = texts[nation, kind]
    assert REGULATOR[nation] in text
    others = [standards for other, standards in REGULATOR.items() if other != nation]
    assert not [standards for standards in others if standards in text]
    if nation == "scotland":
        assert "Regulation of Investigatory Powers (Scotland) Act 2000" in text
        assert "Home Office" not in text
    else:
        assert "Regulation of Investigatory Powers Act 2000 (RIPA)" in text
        assert "RIP(S)A" not in text
    if (nation, kind) in FOI:
        law = (
            "Freedom of Information (Scotland) Act 2002" if nation == "scotland" else "Freedom of Information Act 2000"
        )
        assert f"must answer requests made under the {law}" in text
    else:
        assert "Freedom of Information" not in text


@pytest.mark.parametrize(("nation", "kind"), COMBINATIONS)
def test_surveillance_powers_follow_the_listing_not_the_type(texts, guides, nation: str, kind: str):
    text, guide = texts[nation, kind], guides[nation, kind]
    if kind == "local_authority":
        # Councils are listed for both powers (RIPA Schedule 1 Part I; RIP(S)A section 8). The policy
        # states the rule (authorised in writing, in advance); the guide states the legal tests.
        assert "Covert surveillance must be authorised in writing and in advance" in text
        assert "can authorise directed surveillance and the use of covert human intelligence sources" in guide
        assert "needed for a purpose the Act allows, and is in proportion" in guide
        assert "in proportion to what it aims to achieve" not in text
        magistrate = nation in ("england", "wales")
        assert ("takes effect only once a magistrate has approved it" in guide) is magistrate
        assert ("prison sentence of six months or more" in guide) is magistrate
        assert "prison sentence" not in text
    else:
        assert "can authorise directed surveillance" not in guide
        assert "Covert surveillance must be authorised" not in text
        # The policy states the employer's position; the guide gives the law behind it.
        assert "Only the public bodies listed in" in guide
        assert "Only the public bodies listed in" not in text
        assert "magistrate" not in text
        if kind in PUBLIC:
            assert "does not authorise covert surveillance" in text
            assert "does not authorise it" in guide
        else:
            assert "cannot authorise covert surveillance" in text
            assert "is not one of them" in guide


def test_an_nhs_trust_that_confirms_its_listing_gets_the_listed_route(library, answers_for):
    text = policy_text(answers_for, library, "england", "nhs_trust", surveillance__powers="directed")
    profile = with_answers(
        base_profile(), organisation__nation="england", organisation__type="nhs_trust", surveillance__powers="directed"
    )
    guide = " ".join(render_guide(build_policy(library, answers_for(profile))).split())
    assert "Covert surveillance must be authorised in writing and in advance, by an officer named under RIPA" in text
    assert "can authorise directed surveillance under the Regulation of Investigatory Powers Act 2000" in guide
    assert "covert human intelligence sources" not in guide.split("can authorise directed surveillance")[1][:40]
    assert "magistrate" not in text and "magistrate" not in guide
    # Directed surveillance only: a false identity can never be authorised.
    assert "There is no exception: using a false identity" in text


@pytest.mark.parametrize(("nation", "kind"), COMBINATIONS)
def test_capacity_equality_and_children_in_care_by_nation(texts, nation: str, kind: str):
    text = texts[nation, kind]
    capacity = {
        "england": "Mental Capacity Act 2005",
        "wales": "Mental Capacity Act 2005",
        "scotland": "Adults with Incapacity (Scotland) Act 2000",
    }
    if nation in capacity:
        assert capacity[nation] in text
    else:
        # Only partly in force: never applied to everyday decisions about information.
        assert "Mental Capacity Act" not in text
    if nation == "scotland":
        assert "be the least restrictive option" in text
        assert "act in their best interests" not in text
        assert "make any decision on their behalf" not in text
    if nation == "northern_ireland":
        assert "Equality Act 2010" not in text
        assert "section 75 of the Northern Ireland Act 1998 names" in text and "sectarian" in text
        assert "local council" not in text
    else:
        assert "groups that the Equality Act 2010 names" in text
    looked_after = kind == ("nhs_trust" if nation == "northern_ireland" else "local_authority")
    assert ("a child looked after by" in text) is looked_after
    assert "in the place of a parent" not in text


@pytest.mark.parametrize(("nation", "kind"), COMBINATIONS)
def test_marking_and_data_regulator(library, answers_for, nation: str, kind: str):
    profile = with_answers(base_profile(), organisation__nation=nation, organisation__type=kind)
    profile["document"].pop("protective_marking", None)
    answers = answers_for(profile)
    assert answers["document.protective_marking"] == ("OFFICIAL" if kind in PUBLIC else "none")
    text = render_policy(build_policy(library, answers))
    assert "Information Commissioner's Office (ICO), or the Information Commission that replaces it" in " ".join(
        text.split()
    )


@pytest.mark.parametrize(("nation", "kind"), COMBINATIONS)
def test_sources_appendix_lists_only_law_that_binds_this_employer(library, answers_for, nation: str, kind: str):
    profile = with_answers(base_profile(), organisation__nation=nation, organisation__type=kind)
    profile["surveillance"].pop("powers", None)
    policy = build_policy(library, answers_for(profile))
    titles = {cited.document.title for cited in policy.sources}
    assert ("Freedom of Information Act 2000" in titles) is ((nation, kind) in FOI and nation != "scotland")
    assert ("Human Rights Act 1998" in titles) is (kind in PUBLIC)
    assert ("Children Act 1989, section 33" in titles) is (kind == "local_authority" and nation != "scotland")
    if nation != "scotland":
        assert not [t for t in titles if "(Scotland)" in t]
    items = {item.id for cited in policy.sources for item in cited.items}
    # Guidance passages that speak of England's regulator or of RIPA's court approval stay in their nations.
    assert ("SWE-STANDARDS" in items) is (nation == "england")
    assert "LBWF-DONT-9" not in items or nation in ("england", "wales")
