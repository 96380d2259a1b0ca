"""Fixes from a fresh-eyes review of the 2.0 policies (issue 14): each test builds a policy from the
example council's answers, changes only what the rule turns on, and reads the words a member of staff
would read, so that two clauses cannot give contradictory instructions."""

from __future__ import annotations

import re

from conftest import APPROVED_AI, build_with, one_line

from policy_builder.content.models import Policy
from policy_builder.render.markdown import render_guide, render_policy


def section(policy: Policy, number: int) -> str:
    """One numbered section of the policy, on one line."""
    text = render_policy(policy)
    match = re.search(rf"^## {number}\. .*?(?=^## \d+\. )", text, flags=re.M | re.S)
    assert match, f"no section {number}"
    return one_line(match.group(0))


def guide(policy: Policy) -> str:
    return one_line(render_guide(policy))


# --- AI tools --------------------------------------------------------------------------------------


def test_where_ai_is_not_allowed_the_guide_explains_the_ban_and_coaches_nobody(library, answers_for):
    policy = build_with(library, answers_for)
    text = guide(policy)
    assert "AI tools are not allowed with information about people because they get things wrong" in text
    assert "Read every draft" not in text
    assert "Approved tools" not in text
    # Built-in transcription and recaps are AI note-taking: the video rule must not leave them on.
    assert (
        "must not record a call without everyone's agreement, must keep the platform's transcription and AI "
        "features, such as Copilot or meeting recaps, turned off" in section(policy, 9)
    )


def test_approved_tools_rest_on_a_processor_contract_not_on_a_promise_of_control(library, answers_for):
    text = guide(build_with(library, answers_for, **APPROVED_AI, ai__uses=["drafting"]))
    assert "Read every draft against your own memory and notes" in text
    assert (
        "Approved tools are used under a contract that lets the provider use the information only on Eastbrook "
        "Council's instructions, so it may not keep it or use it to train its tools (UK GDPR Article 28)." in text
    )
    assert "systems Eastbrook Council controls" not in text


def test_drafting_only_ai_speaks_of_no_recordings_and_keeps_meeting_ai_off(library, answers_for):
    policy = build_with(library, answers_for, **APPROVED_AI, ai__uses=["drafting"])
    records = section(policy, 13)
    assert "AI drafts must be deleted once the approved record is saved in Mosaic." in records
    assert "Recordings" not in records and "transcripts" not in records
    assert "must keep the platform's transcription and AI features" in section(policy, 9)


def test_ai_meeting_notes_allow_recording_and_transcription_with_agreement(library, answers_for):
    policy = build_with(library, answers_for, **APPROVED_AI, ai__uses=["meeting_notes", "drafting"])
    video = section(policy, 9)
    assert "must not record or transcribe a call without everyone's agreement, and should check" in video
    assert "turned off" not in video
    assert "Recordings, transcripts and drafts must be deleted" in section(policy, 13)


def test_how_people_are_told_reads_well_whatever_the_answers_grammar(library, answers_for):
    policy = build_with(
        library,
        answers_for,
        **APPROVED_AI,
        ai__uses=["meeting_notes"],
        ai__how_people_told="explain it at the start of the meeting and record their answer.",
    )
    assert (
        "staff must tell everyone present how the tool will be used (how: explain it at the start of the "
        "meeting and record their answer), use it only if everyone agrees" in section(policy, 13)
    )


# --- Staff named or filmed online, and the viewing rules -------------------------------------------


def test_keeping_evidence_about_yourself_is_not_viewing_and_goes_to_the_incident_record(library, answers_for):
    policy = build_with(library, answers_for, surveillance__viewing="not_allowed")
    safety = section(policy, 14)
    assert "taken on a work device and saved to the incident record, not to the record of the person" in safety
    assert "Looking at content about yourself to report it is not viewing under section 11." in safety
    assert "## 11. Viewing people's social media" in render_policy(policy)
    # One rule, one place: the guide points to it instead of repeating it.
    assert "keep a copy as the policy says before you report it" in guide(policy)


def test_a_single_look_and_any_further_viewing_both_need_the_manager(library, answers_for):
    policy = build_with(library, answers_for, surveillance__viewing="one_off_safeguarding")
    viewing = section(policy, 11)
    assert "once their manager has agreed" in viewing
    assert "Before any viewing, staff must ask their manager. For viewing beyond a single look, the manager" in viewing
    assert "Before any viewing beyond a single look, staff must ask" not in viewing


# --- Regulators' standards -------------------------------------------------------------------------


def test_scottish_staff_meet_the_workers_code_and_the_employer_follows_its_own(library, answers_for):
    principles = section(build_with(library, answers_for, organisation__nation="scotland"), 3)
    assert "must meet the SSSC Code for Social Service Workers online as well as offline" in principles
    assert "follows the SSSC Code for Employers of Social Service Workers" in principles
    assert "Codes of Practice for Social Service Workers and Employers" not in principles


def test_northern_ireland_names_the_social_care_workers_standards_too(library, answers_for):
    principles = section(build_with(library, answers_for, organisation__nation="northern_ireland"), 3)
    assert "the NISCC Standards of Conduct and Practice for Social Workers and for Social Care Workers" in principles


def test_other_registrants_meet_their_own_regulators_code(library, answers_for):
    principles = section(build_with(library, answers_for, organisation__type="nhs_trust"), 3)
    assert "Staff registered with Social Work England must meet Social Work England's professional standards" in (
        principles
    )
    assert "Staff registered with another regulator must meet its code." in principles
    assert "Registered staff must meet Social Work England" not in principles


# --- Wording ----------------------------------------------------------------------------------------


def test_induction_comes_before_work_use_as_section_1_says(library, answers_for):
    policy = build_with(library, answers_for, training__induction=False)
    text = section(policy, 16)
    assert "before they use social media or messaging for work" in text
    assert "first month" not in text


def test_imessage_is_named_without_a_slash(library, answers_for):
    policy = build_with(library, answers_for, messaging__apps=["whatsapp", "facetime"])
    messaging = section(policy, 8)
    assert "iMessage" in messaging
    assert "FaceTime/iMessage" not in render_policy(policy)


def test_a_new_ai_tool_or_use_reaches_the_privacy_notice_before_it_starts(library, answers_for):
    records = section(build_with(library, answers_for, **APPROVED_AI, ai__uses=["drafting"]), 13)
    assert (
        "information governance approval first, and Eastbrook Council's privacy notice must tell people about it "
        "before it starts." in records
    )
    assert "privacy notice" not in section(build_with(library, answers_for), 13)


def test_an_emergency_number_ending_in_9999_still_gets_999_added(library, answers_for):
    """The review: the NI trust's route "028 9504 9999" contains "999", so 999 was left out of 10.x."""
    policy = build_with(library, answers_for, out_of_hours__emergency_route="the Regional Service on 028 9504 9999")
    text = one_line(render_policy(policy))
    assert "the Regional Service on 028 9504 9999, or 999 in an emergency" in text
    named = build_with(library, answers_for, out_of_hours__emergency_route="the duty team, or 999 in an emergency")
    assert "999 in an emergency, or 999" not in one_line(render_policy(named))
