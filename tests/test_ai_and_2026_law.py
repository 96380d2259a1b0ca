"""Library 2.0 content: the AI stance, recorded meetings and online offences by nation, family court
reporting, app governance, and the approval and retention gap rules. Each test builds a policy from the
example council's answers and changes only what the rule turns on."""

from __future__ import annotations

import re

import pytest
from conftest import APPROVED_AI, BUILD_DATE, PROFILES, base_profile, build_with, one_line, with_answers

from policy_builder.content.models import Policy
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.gaps import find_gaps
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.markdown import render_guide, render_policy
from policy_builder.render.summary import leaflet, render_handout_markdown, staff_summary


def chosen(policy: Policy) -> set[str]:
    return {clause.id for clause in policy.clauses}


def section(policy: Policy, number: int) -> str:
    """One numbered section of the policy, on one line."""
    text = render_policy(policy)
    match = re.search(rf"^## {number}\. .*?(?=^## \d+\. )", text, flags=re.M | re.S)
    assert match, f"no section {number}"
    return one_line(match.group(0))


# --- AI tools ---------------------------------------------------------------------------------


def test_without_an_answer_ai_tools_are_not_allowed(library, answers_for):
    policy = build_with(library, answers_for)
    ids = chosen(policy)
    assert "records.ai-not-allowed" in ids
    assert not ids & {"records.ai-approved-tools", "records.ai-worker-owns-record", "records.ai-meetings"}
    assert "Staff must not use AI tools, such as chatbots, Copilot or apps that record meetings" in section(policy, 13)
    card = render_handout_markdown(staff_summary(library, policy))
    assert "Use AI tools, such as chatbots, Copilot or note-taking apps" in card


def test_approved_tools_for_drafting_only(library, answers_for):
    policy = build_with(library, answers_for, **APPROVED_AI, ai__uses=["drafting"])
    ids = chosen(policy)
    assert {"records.ai-approved-tools", "records.ai-worker-owns-record"} <= ids
    assert not ids & {"records.ai-not-allowed", "records.ai-meetings"}
    text = section(policy, 13)
    assert (
        "Staff may use only Microsoft 365 Copilot and Magic Notes, signed in with their work account, and only "
        "to draft or summarise records, letters and reports." in text
    )
    assert "must never put information about people who use services into a public AI tool" in text
    assert "AI must never make a decision about a person" in text
    assert "deleted once the approved record is saved in Mosaic." in text
    # Nobody is recorded, so the leaflet says nothing about AI note-taking.
    assert "(AI)" not in render_handout_markdown(leaflet(library, policy))


def test_meeting_notes_bring_the_telling_rule_in_the_employers_words(library, answers_for):
    policy = build_with(
        library,
        answers_for,
        **APPROVED_AI,
        ai__uses=["meeting_notes", "drafting"],
        ai__how_people_told="by explaining it at the start of the meeting and giving them our leaflet",
    )
    assert "records.ai-meetings" in chosen(policy)
    text = section(policy, 13)
    assert "to draft notes of meetings and to draft or summarise records, letters and reports." in text
    assert (
        "staff must tell everyone present how the tool will be used (how: by explaining it at the start of the "
        "meeting and giving them our leaflet), use it only if everyone agrees, and note their answer in the record."
        in text
    )
    assert "We will ask you first, and you can say no." in one_line(render_handout_markdown(leaflet(library, policy)))


def test_the_guide_explains_the_automated_decision_safeguards(library, answers_for):
    guide = one_line(render_guide(build_with(library, answers_for, **APPROVED_AI)))
    assert "(UK GDPR Articles 22A to 22D)" in guide
    assert "AI tools do not make decisions about people at all." in guide


# --- Recorded meetings, doxxing and online offences --------------------------------------------

OFFENCES = {
    "england": ("threatens death or serious harm", "including one that has been faked"),
    "wales": ("threatens death or serious harm", "including one that has been faked"),
    "northern_ireland": ("threatens death or serious harm", "private sexual photograph or film"),
    "scotland": ("including one that only appears to show them", "threatening or abusive messages can be crimes"),
}
LAW = {
    "england": "the Online Safety Act 2023 and the Sexual Offences Act 2003",
    "wales": "the Online Safety Act 2023 and the Sexual Offences Act 2003",
    "northern_ireland": "the Online Safety Act 2023 and the Justice Act (Northern Ireland) 2016",
    "scotland": "the Abusive Behaviour and Sexual Harm (Scotland) Act 2016",
}


@pytest.mark.parametrize("nation", sorted(OFFENCES))
def test_online_offences_are_those_of_the_nation(library, answers_for, nation):
    kind = "nhs_trust" if nation == "northern_ireland" else "local_authority"
    policy = build_with(library, answers_for, organisation__nation=nation, organisation__type=kind)
    text = section(policy, 14)
    for words in OFFENCES[nation]:
        assert words in text
    assert "Staff must never do any of these things, or create or ask for a faked intimate image of anyone." in text
    if nation == "scotland":
        # The Online Safety Act communications offences do not extend to Scotland.
        assert "threatens death" not in text
    if nation == "northern_ireland":
        # Not confirmed that Northern Ireland's offence covers faked images.
        assert "faked one" not in text and "has been faked" not in text
    guide = one_line(render_guide(policy))
    assert f"The offences the policy names are in {LAW[nation]}" in guide
    if nation != "england" and nation != "wales":
        assert "Sexual Offences Act 2003" not in guide


def test_recorded_meetings_and_posted_details(library, answers_for):
    text = section(build_with(library, answers_for), 14)
    assert "Staff who are abused, threatened, named or filmed online because of their work" in text
    assert "Staff should act in every meeting as though it is being recorded" in text
    assert (
        "the manager must treat it as a threat to their safety and agree a safety plan with them the same day" in text
    )
    assert "consider legal action, such as a court order." in text


# --- Family court reporting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nation", "kind", "services", "printed"),
    [
        ("england", "local_authority", ["children", "adults"], True),
        ("wales", "voluntary", ["children"], True),
        ("england", "court_service", ["adults"], True),
        ("england", "local_authority", ["adults"], False),
        ("scotland", "local_authority", ["children", "adults"], False),
        ("northern_ireland", "nhs_trust", ["children", "adults"], False),
    ],
)
def test_family_court_reporting_only_where_pd12r_applies(library, answers_for, nation, kind, services, printed):
    policy = build_with(
        library,
        answers_for,
        organisation__nation=nation,
        organisation__type=kind,
        organisation__services=services,
        organisation__fostering_adoption="children" in services,
    )
    assert ("personal-use.family-court-reporting" in chosen(policy)) is printed
    text = one_line(render_policy(policy))
    assert ("transparency order" in text) is printed
    if printed:
        assert "Staff must not comment on any case in public or online, even one already reported" in text


# --- Messaging apps: the ICO reprimands' lesson ---------------------------------------------------


def test_app_settings_and_group_owners_only_where_apps_are_allowed(library, answers_for):
    allowed = build_with(library, answers_for)
    assert "messaging.app-set-up-and-groups" in chosen(allowed)
    text = section(allowed, 8)
    assert "check each approved app's encryption and privacy settings before staff use it" in text
    assert "review its members every three months and remove anyone who leaves their role at once" in text
    assert "reprimanded two public bodies" in one_line(render_guide(allowed))
    banned = build_with(library, answers_for, messaging__whatsapp="not_allowed")
    assert "messaging.app-set-up-and-groups" not in chosen(banned)
    assert "reprimanded two public bodies" not in one_line(render_guide(banned))


# --- Retention of looked-after children's records ------------------------------------------------


def test_only_scotland_states_the_looked_after_minimum(library, answers_for):
    scotland = section(build_with(library, answers_for, organisation__nation="scotland"), 13)
    assert "A looked-after child's case record, with any messages saved to it, must be kept until the " in scotland
    assert "100th birthday, or for 25 years after their death if they die before 18." in scotland
    for nation in ("england", "wales"):
        assert "100th birthday" not in section(build_with(library, answers_for, organisation__nation=nation), 13)
    # A Scottish charity does not hold the council's case record.
    charity = build_with(library, answers_for, organisation__nation="scotland", organisation__type="voluntary")
    assert "100th birthday" not in section(charity, 13)


def gap_ids(library, answers_for, **answers) -> list[str]:
    return [w.id for w in find_gaps(library, answers_for(with_answers(base_profile(), **answers)))]


def test_retention_gap_names_the_figure_only_in_scotland(library, answers_for):
    scotland = find_gaps(
        library,
        answers_for(with_answers(base_profile(), organisation__nation="scotland", data__care_records_retention=False)),
    )
    [warning] = [w for w in scotland if w.id.startswith("gap.care-records")]
    assert warning.id == "gap.care-records-retention-scotland" and "100th birthday" in warning.message
    england = find_gaps(library, answers_for(with_answers(base_profile(), data__care_records_retention=False)))
    [warning] = [w for w in england if w.id.startswith("gap.care-records")]
    assert warning.id == "gap.care-records-retention" and "100th" not in warning.message + warning.recommendation


@pytest.mark.parametrize(
    ("nation", "kind", "rule"),
    [
        ("england", "local_authority", "gap.no-equality-assessment"),
        ("scotland", "voluntary", "gap.no-equality-assessment"),
        ("northern_ireland", "nhs_trust", "gap.no-section-75-screening"),
        ("northern_ireland", "voluntary", "gap.no-equality-assessment"),
    ],
)
def test_equality_gap_speaks_the_nations_duty(library, answers_for, nation, kind, rule):
    ids = gap_ids(
        library, answers_for, organisation__nation=nation, organisation__type=kind, document__equality_assessment=False
    )
    equality = [i for i in ids if i in ("gap.no-equality-assessment", "gap.no-section-75-screening")]
    assert equality == [rule]


def test_telegram_gap_says_why(library, answers_for):
    [warning] = [
        w
        for w in find_gaps(library, answers_for(with_answers(base_profile(), messaging__apps=["whatsapp", "telegram"])))
        if w.id == "gap.telegram-not-end-to-end"
    ]
    assert warning.severity == "high"
    assert "not end-to-end encrypted by default" in warning.message


# --- Profiles written for questionnaire 1 --------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_profiles_build_and_are_told_about_the_new_questions(library, path):
    answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert {"ai.tools", "document.equality_assessment", "document.staff_consulted"} <= set(answers.new_questions)
    policy = build_policy(library, answers)
    # The safe default: no AI tools with information about people.
    assert "records.ai-not-allowed" in chosen(policy)
    open_questions = {q for w in find_gaps(library, answers) for q in w.unanswered}
    assert "document.equality_assessment" in open_questions


def test_build_lists_only_the_new_questions_this_stance_is_asked(tmp_path):
    """The AI follow-ups are not news where AI is not allowed; the line says how to answer the new ones."""
    from click.testing import CliRunner

    from policy_builder.cli import main

    result = CliRunner().invoke(main, ["build", str(PROFILES / "example-council.yaml"), "--out", str(tmp_path)])
    line = next(line for line in result.output.splitlines() if line.startswith("New questions since"))
    assert "ai.tools" in line and "--only-new" in line
    assert "ai.dpia" not in line and "ai.tool_names" not in line
