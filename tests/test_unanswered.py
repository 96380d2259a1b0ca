"""Unanswered is not "no": a fact left out is open, the policy says it is a draft, and gaps say why they stand."""

import io
import json

from click.testing import CliRunner
from conftest import base_profile, with_answers
from docx import Document

from policy_builder.checks.lint import lint_report
from policy_builder.cli import main
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.gaps import find_gaps
from policy_builder.render.docx import render_docx
from policy_builder.render.markdown import render_gap_report, render_policy

HARASSMENT_PROMPT = "Do you have a policy for staff who suffer online abuse, harassment or hate because of their work?"


def without(profile, *qids):
    for qid in qids:
        namespace, name = qid.split(".")
        profile[namespace].pop(name, None)
    return profile


def test_a_fact_left_out_is_unanswered_not_false(answers_for):
    answers = answers_for(without(base_profile(), "staff.harassment_support", "staff.harassment_policy_name"))
    assert answers.values["staff.harassment_support"] is None
    assert answers.unanswered == ["staff.harassment_support"]
    assert "staff.harassment_support" not in answers.defaults_used  # no default stands in for it


def test_unanswered_fact_makes_the_policy_a_draft_in_markdown_and_word(library, answers_for):
    answers = answers_for(without(base_profile(), "staff.harassment_support", "staff.harassment_policy_name"))
    policy = build_policy(library, answers)
    assert policy.draft.is_draft and not policy.draft.unapproved
    assert [q.id for q in policy.draft.open_questions] == ["staff.harassment_support"]
    assert policy.draft.line() == f"DRAFT: 1 question still to decide: staff.harassment_support ({HARASSMENT_PROMPT})"

    markdown = render_policy(policy)
    top = markdown[: markdown.index("# Social Media and Digital Contact Policy")]
    assert "**DRAFT: not for issue.**" in top
    assert f"- {HARASSMENT_PROMPT}\n" in top and "staff.harassment_support" not in top  # prompts, not ids

    document = Document(io.BytesIO(render_docx(policy)))
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert header.startswith("DRAFT \u2013 OFFICIAL")
    cover = [p.text for p in document.paragraphs[:8]]
    assert "DRAFT: not for issue." in cover
    assert "1 question is still to decide before it can be issued: see the list after the contents." in cover
    texts = [p.text for p in document.paragraphs]
    listed = texts.index("Questions still to decide before this policy can be issued")
    assert texts.index("Contents") < listed and texts[listed + 1] == HARASSMENT_PROMPT


def test_unanswered_fact_gives_a_gap_still_to_decide(library, answers_for):
    answers = answers_for(without(base_profile(), "staff.harassment_support", "staff.harassment_policy_name"))
    warnings = find_gaps(library, answers)
    assert [(w.id, w.cause, w.unanswered) for w in warnings] == [
        ("gap.no-staff-abuse-policy", "unanswered", ("staff.harassment_support",))
    ]
    report = render_gap_report(build_policy(library, answers), warnings, library)
    assert "No gaps found in the answers given." in report
    still = report[report.index("## Still to decide") :]
    assert f"### 7.1 {HARASSMENT_PROMPT}\n" in still  # its number and wording, as the wizards show it
    assert "staff.harassment_support" not in report and "gap.no-staff-abuse-policy" not in report
    assert "- **Why it matters (medium):** No policy is named for the support and action" in still
    assert f"**The policy is a DRAFT:**\n\n- 1 question still to decide:\n  - 7.1 {HARASSMENT_PROMPT}\n" in report


def test_answering_the_question_removes_the_draft_reason(library, answers_for):
    answers = answers_for(with_answers(base_profile(), staff__harassment_support=False))
    policy = build_policy(library, answers)
    assert not policy.draft.is_draft
    assert "DRAFT" not in render_policy(policy)
    # Answered "no", the same gap is now a finding.
    assert [(w.id, w.cause) for w in find_gaps(library, answers)] == [("gap.no-staff-abuse-policy", "answer")]


def test_unapproved_policy_is_a_draft_for_that_reason_alone(library, answers_for):
    answers = answers_for(with_answers(base_profile(), document__approved_by=None))
    policy = build_policy(library, answers)
    assert policy.draft.is_draft and policy.draft.unapproved and not policy.draft.open_questions
    assert "not yet approved" in policy.draft.line()


def test_work_phones_left_out_with_messaging_is_open_not_assumed_all(library, answers_for):
    answers = answers_for(without(base_profile(), "devices.work_phones"))
    assert answers.values["messaging.whatsapp"] == "keep_in_touch"
    warnings = find_gaps(library, answers)
    assert [(w.id, w.cause, w.unanswered) for w in warnings] == [
        ("gap.personal-numbers-exposed", "unanswered", ("devices.work_phones",))
    ]
    policy = build_policy(library, answers)
    assert [q.id for q in policy.draft.open_questions] == ["devices.work_phones"]
    # The work-phones group words the open point neutrally and applies the safe rule meanwhile.
    chosen = [c for c in policy.clauses if c.id.startswith("devices.work-phones-")]
    assert [c.id for c in chosen] == ["devices.work-phones-some"]
    assert "is still to be decided" in " ".join(chosen[0].text.split())
    assert not any(c.id.startswith("open:") for c in policy.clauses)


def test_unanswered_question_that_changes_nothing_leaves_the_policy_final(library, answers_for):
    # Carers' training turns on children's services or fostering: an adults-only council's text does not use it.
    profile = with_answers(base_profile(), organisation__services=["adults"], organisation__fostering_adoption=False)
    answers = answers_for(without(profile, "training.carers"))
    assert "training.carers" in answers.unanswered
    assert not build_policy(library, answers).draft.is_draft


def test_court_service_without_fostering_gets_no_carers_training_gap(library, answers_for):
    profile = with_answers(
        base_profile(),
        organisation__type="court_service",
        organisation__services=["children"],
        organisation__fostering_adoption=False,
        training__carers=False,
    )
    assert "gap.carers-not-trained" not in [w.id for w in find_gaps(library, answers_for(profile))]
    council = with_answers(base_profile(), organisation__services=["children"], training__carers=False)
    assert "gap.carers-not-trained" in [w.id for w in find_gaps(library, answers_for(council))]


def test_charity_gets_no_ripa_coordinator_gap_and_one_gap_for_missing_authorisation(library, answers_for):
    profile = with_answers(
        base_profile(),
        organisation__type="voluntary",
        surveillance__viewing="with_authorisation",
        surveillance__authorisation_process=False,
        contacts__ripa=None,
    )
    ids = [w.id for w in find_gaps(library, answers_for(profile))]
    assert "gap.viewing-without-authorisation" in ids
    assert "gap.no-surveillance-contact" not in ids and "gap.no-statutory-route" not in ids


def test_gaps_json_says_each_gaps_cause(tmp_path, write_profile):
    path = write_profile(
        without(with_answers(base_profile(), devices__personal_devices_for_work=True), "training.induction")
    )
    result = CliRunner().invoke(main, ["gaps", "--json", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    gaps = {g["id"]: g for g in json.loads(result.output)}
    assert gaps["gap.personal-devices"]["cause"] == "answer" and gaps["gap.personal-devices"]["unanswered"] == []
    assert gaps["gap.not-in-induction"]["cause"] == "unanswered"
    assert gaps["gap.not-in-induction"]["unanswered"] == ["training.induction"]
    assert gaps["gap.not-in-induction"]["unanswered_prompts"] == ["Is this policy part of induction for new staff?"]


def test_terminal_table_lists_open_points_apart_from_findings(write_profile):
    path = write_profile(without(base_profile(), "training.induction"))
    result = CliRunner().invoke(main, ["gaps", str(path)], catch_exceptions=False)
    assert "No gaps found for" in result.output and "in the answers given" in result.output
    assert "Still to decide: 1 point" in result.output
    assert "Not answered: Is this policy part of induction for new staff? (training.induction)" in result.output


def test_build_prints_one_draft_line_with_the_prompts(tmp_path, write_profile):
    path = write_profile(without(base_profile(), "staff.harassment_support", "staff.harassment_policy_name"))
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out")], catch_exceptions=False)
    lines = [line for line in result.output.splitlines() if line.startswith("DRAFT")]
    assert lines == [f"DRAFT: 1 question still to decide: staff.harassment_support ({HARASSMENT_PROMPT})."]
    manifest = json.loads(next((tmp_path / "out").glob("*-manifest.json")).read_text(encoding="utf-8"))
    assert manifest["draft"] is True
    assert manifest["draft_status"]["open_questions"] == [
        {"id": "staff.harassment_support", "prompt": HARASSMENT_PROMPT}
    ]
    assert {g["id"]: g["cause"] for g in manifest["gaps"]}["gap.no-staff-abuse-policy"] == "unanswered"


def test_lint_samples_unanswered_facts_and_names_clauses_held_open(library, bundled_lint, tmp_path):
    # Every group of the bundled library has wording for an unanswered question.
    problems, notes = bundled_lint
    assert problems == []
    assert not [note for note in notes if note.startswith("Note: ")]
    # A group with no clause for "not answered" is held open by the build and noted by lint.
    root = tmp_path / "clauses"
    root.mkdir()
    for path in library.root.glob("*"):
        (root / path.name).write_bytes(path.read_bytes())
    devices = root / "07-devices.yaml"
    devices.write_text(
        devices.read_text(encoding="utf-8").replace(
            "when: devices.work_phones == 'some' or devices.work_phones is none", "when: devices.work_phones == 'some'"
        ),
        encoding="utf-8",
    )
    from policy_builder.content.library import load_library

    problems, notes = lint_report(load_library(root), checks=["groups"])  # the check that holds groups open
    assert any("group 'work-phones'" in note and "devices.work_phones=None" in note for note in notes), notes
