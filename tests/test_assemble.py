"""The clauses chosen for a stance, and the words the employer's answers put in them."""

import re

import pytest
from conftest import base_profile, with_answers

from policy_builder.pipeline.assemble import build_policy

STANCE_GROUPS = [
    ("accounts-stance", "accounts__dedicated", ["not_allowed", "with_manager_approval", "organisation_managed"]),
    ("messaging-stance", "messaging__whatsapp", ["not_allowed", "keep_in_touch", "permitted"]),
    ("viewing-stance", "surveillance__viewing", ["not_allowed", "one_off_safeguarding", "with_authorisation"]),
    ("out-of-hours-stance", "out_of_hours__contact", ["not_allowed", "rota_only", "allowed"]),
]


def chosen_in_group(library, policy, group):
    members = {c.id for c in library.clauses if c.group == group}
    return [c.id for c in policy.clauses if c.id in members]


def policy_for(library, answers_for, **answers):
    return build_policy(library, answers_for(with_answers(base_profile(), **answers)))


def text_of(policy) -> str:
    return "\n".join(f"{c.title}\n{c.text}" for c in policy.clauses)


@pytest.mark.parametrize(("group", "question", "values"), STANCE_GROUPS)
def test_each_stance_picks_its_own_clause(library, answers_for, group, question, values):
    chosen = []
    for value in values:
        picked = chosen_in_group(library, policy_for(library, answers_for, **{question: value}), group)
        assert len(picked) == 1, (value, picked)
        chosen.append(picked[0])
    assert len(set(chosen)) == len(values), chosen


def test_clauses_are_numbered_by_section(library, answers_for):
    policy = policy_for(library, answers_for)
    for section in policy.sections:
        assert [c.number for c in section.clauses] == [
            f"{section.number}.{i}" for i in range(1, len(section.clauses) + 1)
        ]
    assert [s.number for s in policy.sections] == list(range(1, len(policy.sections) + 1))
    assert len(policy.sections) >= 12


def test_answers_are_woven_into_the_text(library, answers_for):
    # Reflowed text may break a line inside an answer: compare with whitespace collapsed.
    text = " ".join(text_of(policy_for(library, answers_for)).split())
    for words in [
        "Eastbrook Council",
        "Mosaic",
        "Monday to Friday, 9am to 5pm",
        "the Emergency Duty Team on 020 8496 0000",
        "the Council's RIPA and Non-RIPA Surveillance Policy",
        "the Employee Code of Conduct",
    ]:
        assert words in text, words


def test_keep_in_touch_policy_forbids_assessment_conversations(library, answers_for):
    text = text_of(
        policy_for(library, answers_for, messaging__whatsapp="keep_in_touch", messaging__apps=["whatsapp", "sms"])
    )
    # SMS is a text from a work phone, not a messaging app (2.4): the apps are listed without it.
    assert re.search(
        r"Staff may use WhatsApp\s+with\s+people\s+who\s+use\s+services\s+only\s+on\s+a\s+work\s+phone", text
    )
    assert "SMS text messages" not in text
    assert re.search(r"assessment", text)


def test_no_messaging_stance_leaves_out_messaging_rules(library, answers_for):
    allowed = policy_for(library, answers_for)
    banned = policy_for(library, answers_for, messaging__whatsapp="not_allowed")
    assert len(banned.clauses) < len(allowed.clauses)
    assert not [c.id for c in banned.clauses if c.id.startswith("messaging.saved-by")]
    assert "messaging.calls-and-texts" in {c.id for c in banned.clauses}  # texts from a work phone stay


def test_students_section_only_when_students_are_hosted(library, answers_for):
    assert "students" in [s.id for s in policy_for(library, answers_for).sections]
    assert "students" not in [s.id for s in policy_for(library, answers_for, students__placements=False).sections]


NATIONS = {
    "england": (
        "Social Work England",
        [
            "Scottish Social Services Council",
            "Social Care Wales",
            "NISCC",
            "RIP(S)A",
            "Freedom of Information (Scotland)",
        ],
    ),
    "wales": (
        "Social Care Wales",
        [
            "Social Work England's professional standards",
            "SSSC",
            "NISCC",
            "RIP(S)A",
            "Freedom of Information (Scotland)",
        ],
    ),
    "scotland": (
        "Scottish Social Services Council",
        ["Social Care Wales", "NISCC", "magistrate", "Freedom of Information Act 2000", "Mental Capacity Act 2005"],
    ),
    "northern_ireland": (
        "Northern Ireland Social Care Council",
        [
            "Social Care Wales",
            "SSSC",
            "RIP(S)A",
            "magistrate",
            "Equality Act 2010",
            "Mental Capacity Act",
            "local council",
        ],
    ),
}
# Statutory social work in Northern Ireland is run by Health and Social Care trusts, not councils.
EMPLOYER_IN = {"northern_ireland": "nhs_trust"}


@pytest.mark.parametrize("nation", sorted(NATIONS))
def test_each_nation_names_its_own_regulator_and_law_only(library, answers_for, nation):
    regulator, never = NATIONS[nation]
    kind = EMPLOYER_IN.get(nation, "local_authority")
    text = text_of(policy_for(library, answers_for, organisation__nation=nation, organisation__type=kind))
    assert regulator in text
    for words in never:
        assert words not in text, f"{nation} policy names {words}"
    law = "RIP(S)A" if nation == "scotland" else "RIPA"
    assert law in text


def test_english_council_viewing_rests_on_the_ripa_threshold_and_magistrate(library, answers_for):
    policy = policy_for(library, answers_for, organisation__nation="england", organisation__type="local_authority")
    # The policy states the rule; the practice guide states the legal tests the authorisation meets.
    guide = "\n".join(f"{c.title}\n{c.text}" for section in policy.guide for c in section.clauses)
    assert "magistrate" in guide.lower()
    assert "six months" in guide
    assert "six months" not in text_of(policy)


def test_sources_appendix_lists_only_cited_items(library, answers_for):
    policy = policy_for(library, answers_for)
    cited = {s for c in policy.clauses for s in c.sources}
    listed = {item.id for doc in policy.sources for item in doc.items}
    left_out = {i for i in cited - listed if not library.documents[library.items[i].document].applies_in("england")}
    assert listed | left_out == cited
    assert listed <= cited


def test_a_lowercase_short_name_is_capitalised_at_the_start_of_a_sentence(library, answers_for):
    from policy_builder.pipeline.assemble import capitalise_name_at_sentence_start as capitalise

    assert capitalise("Ask first. the Council decides.", "the Council") == "Ask first. The Council decides."
    assert capitalise("the Council decides at the Council.", "the Council") == "The Council decides at the Council."
    policy = policy_for(library, answers_for, organisation__short_name="the Council")
    text = "\n".join(c.text for c in policy.clauses)
    assert "at the Council" in text
    assert not re.search(r"(\A|\n\n|[.!?]\s+)the Council", text)


NATION_PROFILES = {
    "example-council.yaml": "england",
    "small-charity-wales.yaml": "wales",
    "scottish-council.yaml": "scotland",
    "ni-trust.yaml": "northern_ireland",
}


@pytest.mark.parametrize("name", sorted(NATION_PROFILES))
def test_one_bundled_profile_per_nation_builds_with_the_right_regulator_and_law(library, name):
    from conftest import BUILD_DATE, PROFILES

    from policy_builder.pipeline.profile import load_profile
    from policy_builder.render.markdown import render_policy

    answers = load_profile(PROFILES / name, library.questionnaire, library.nations, build_date=BUILD_DATE)
    nation = NATION_PROFILES[name]
    assert answers["organisation.nation"] == nation
    policy = build_policy(library, answers)
    body = text_of(policy)
    regulator, never = NATIONS[nation]
    assert regulator in body
    assert not [words for words in never if words in body]
    appendix = render_policy(policy).split("Documents this policy rests on\n")[-1]
    if nation == "scotland":
        assert "Regulation of Investigatory Powers (Scotland) Act 2000" in appendix
        assert "magistrate" not in render_policy(policy).lower()
    else:
        assert "Regulation of Investigatory Powers (Scotland)" not in appendix


class CountedClauses(tuple):
    """A section's clauses that count how many of them are read one by one: an operation count that, unlike
    a clock, the machine's load does not change."""

    read = 0

    def __iter__(self):
        for clause in tuple.__iter__(self):
            CountedClauses.read += 1
            yield clause


def test_choosing_clauses_is_linear_in_the_size_of_a_section(library, answers_for):
    """Every section (groups too) copied 2 and 4 times over, in memory: choosing the clauses reads as many more
    of a section's clauses for the second doubling as for the first. It was quadratic in a section's size, a
    search of the section for each group (issue 20)."""
    from dataclasses import replace

    from policy_builder.pipeline.assemble import policy_context, select_clauses

    def scaled(factor):
        def copy(clause, number):
            group = f"{clause.group}-copy{number}" if clause.group else None
            return replace(clause, id=f"{clause.id}-copy{number}", group=group)

        sections = [
            replace(
                s,
                clauses=CountedClauses(s.clauses + tuple(copy(c, n) for n in range(2, factor + 1) for c in s.clauses)),
            )
            for s in library.sections
        ]
        return replace(library, sections=sections)

    context = policy_context(library, answers_for(base_profile()))
    runs = {}
    for factor in (1, 2, 4):
        bigger = scaled(factor)
        chosen = select_clauses(bigger, context)
        assert sum(len(clauses) for _, clauses in chosen) == factor * sum(
            len(clauses) for _, clauses in select_clauses(library, context)
        )
        CountedClauses.read = 0
        select_clauses(bigger, context)
        runs[factor] = CountedClauses.read
    first, second = runs[2] - runs[1], runs[4] - runs[2]
    assert second <= 2.1 * first, f"clauses read choosing them at 1, 2 and 4 times the library: {runs}"
