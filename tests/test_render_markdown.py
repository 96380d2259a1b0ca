from pathlib import Path

import pytest
import yaml
from conftest import BUILD_DATE, PROFILES, base_profile, with_answers
from docx import Document

from policy_builder.build import build_profile
from policy_builder.content.questionnaire import build_context, question_numbers
from policy_builder.interview.session import Interview, write_gap_report_docx
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.gaps import find_gaps
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.markdown import render_annex, render_gap_report, render_guide, render_policy
from policy_builder.render.typography import smarten

GOLDEN = Path(__file__).parent / "golden" / "example-council-social-media-policy.md"
GOLDEN_GUIDE = GOLDEN.with_name("example-council-practice-guide.md")
GOLDEN_ANNEX = GOLDEN.with_name("example-council-sources-annex.md")


def example_policy(library):
    answers = load_profile(
        PROFILES / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    return build_policy(library, answers)


def test_example_council_matches_the_reviewed_golden_files(library):
    """The golden files were read by eye; regenerate them with `make golden` and review the diff."""
    policy = example_policy(library)
    assert render_policy(policy) == GOLDEN.read_text(encoding="utf-8")
    assert render_guide(policy) == GOLDEN_GUIDE.read_text(encoding="utf-8")
    assert render_annex(policy) == GOLDEN_ANNEX.read_text(encoding="utf-8")


def test_layout_lines_and_word_only_text_never_reach_the_markdown(library):
    # A draft with open questions: its Word cover has lines of its own, its Markdown the list at the top.
    answers = load_profile(
        PROFILES / "small-charity-wales.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    policy = build_policy(library, answers)
    assert policy.draft.open_questions
    for text in (render_policy(policy), render_guide(policy), render_annex(policy)):
        assert "<!--" not in text
        assert "Update Field" not in text  # the note on the Word contents field
    assert "see the list after the contents" not in render_policy(policy)


def test_policy_has_title_control_table_sections_and_sources(library):
    text = render_policy(example_policy(library))
    lines = text.splitlines()
    assert lines[0] == "**OFFICIAL**" and lines[-1] == "**OFFICIAL**"
    assert "# Social Media and Digital Contact Policy" in lines
    assert "| Next review | 1 December 2027 |" in lines
    assert "## 1. Purpose and scope" in lines
    assert "### 1.1 " in text
    documents = text.split("Documents this policy rests on\n", 2)[-1]
    assert "*BASW Policy: Social Media*, British Association of Social Workers" in documents
    assert "BASW-7" not in text  # item ids belong to the sources annex, not the policy


def test_free_text_answers_come_out_exactly_as_typed(library, answers_for):
    name = "St *Mary's* [Trust] <Care> {{ evil }} {% raw %} ∣ Gwasanaeth Ŵyr — 家 👍"
    answers = answers_for(with_answers(base_profile(), organisation__name=name, organisation__short_name=name))
    text = render_policy(build_policy(library, answers))
    assert "{{ evil }}" in text  # printed, never run
    assert r"St \*Mary's\* \[Trust\] \<Care\>" in text


def test_no_marking_leaves_no_marking_lines(library, answers_for):
    answers = answers_for(with_answers(base_profile(), document__protective_marking="none"))
    text = render_policy(build_policy(library, answers))
    assert "**OFFICIAL**" not in text
    assert "| Protective marking | No marking |" in text


def test_gap_report_lists_warnings_with_recommendations_and_defaults(library, answers_for):
    profile = with_answers(base_profile(), messaging__record_method="none")
    del profile["support"]
    del profile["document"]["review_months"]
    answers = answers_for(profile)
    policy = build_policy(library, answers)
    report = render_gap_report(policy, find_gaps(library, answers), library)
    assert report.startswith("# Gap report: London Borough of Eastbrook\n")
    assert "1 gap found in the answers given: 1 high, 0 medium, 0 low." in report
    assert "**Recommendation:**" in report
    # The question named by its number and wording as the wizards show them, and the guidance by what it says.
    assert "- **Questions to revisit:**\n  - 4.5 How do messages reach the case record?\n" in report
    assert (
        "  - *Social Media Protocol*, London Borough of Waltham Forest (children's and adults' social care): "
        "Every message exchanged through social media or similar is screenshotted"
    ) in report
    # The support questions left out are facts with no default: still to decide, not defaults and not findings.
    still = report[report.index("## Still to decide") : report.index("## Defaults used")]
    assert "### 10.5 Are people offered a choice of technology, and a way to get the service without it?" in still
    assert "### 10.4 Do you give people who use your services accessible advice on staying safe online?" in still
    # A default by its question's number and wording, and in words.
    assert "| 2.7 How many months until the policy is reviewed? | 12 |" in report
    assert "Do you give people who use your services accessible advice on staying safe online? | No" not in report
    for hidden in ("messaging.record_method", "support.online_safety_advice", "gap.", "LBWF-IG-RECORD", "Rule:"):
        assert hidden not in report, hidden


def test_gap_report_words_answers_by_their_labels_and_drops_questions_that_do_not_apply(library, answers_for):
    profile = with_answers(base_profile(), messaging__whatsapp="not_allowed")
    del profile["video"]["platforms"]
    profile["messaging"]["group_chats"] = True  # answered, but no messaging apps: ignored
    answers = answers_for(profile)
    assert "messaging.group_chats" in answers.not_applicable and "video.platforms" in answers.defaults_used
    report = render_gap_report(build_policy(library, answers), find_gaps(library, answers), library)
    # A choice shown by its label (the profile stores `teams`); the question by the number it has for these answers.
    row = next(line for line in report.splitlines() if "Which video platforms are approved" in line)
    assert row.endswith("| Microsoft Teams |") and "teams |" not in row
    ignored = report[report.index("## Answers ignored") :]
    # No messaging apps, so the group-chat question is not asked and has no number: named by its section.
    assert "- Are group chats with people who use services allowed? (section 4, Messaging and video)" in ignored
    assert "messaging.group_chats" not in report


def a_bit_of_everything() -> dict:
    """Answers that bring every part of the gap report out: findings, points still to decide, no approver,
    an answer that no longer applies, defaults, and questions added since the profile was written."""
    profile = with_answers(base_profile(), messaging__whatsapp="not_allowed", document__approved_by=None)
    profile["messaging"]["group_chats"] = True
    del profile["training"]["induction"], profile["video"]["platforms"], profile["surveillance"]["powers"]
    profile["questionnaire"] = "1.0"
    return profile


@pytest.mark.parametrize(
    "profile", [*sorted(PROFILES.glob("*.yaml")), "everything"], ids=lambda p: getattr(p, "stem", p)
)
def test_no_question_rule_or_guidance_id_reaches_the_gap_report_in_markdown_or_word(library, profile, tmp_path):
    if profile == "everything":
        profile = tmp_path / "everything.yaml"
        profile.write_text(yaml.safe_dump(a_bit_of_everything(), sort_keys=False), encoding="utf-8")
    result = build_profile(library, profile, tmp_path / "out", ["md"], build_date=BUILD_DATE)
    markdown_path = next(path for path in result.written if path.name.endswith("-gap-report.md"))
    word = Document(str(write_gap_report_docx(markdown_path, result.policy.organisation)))
    texts = {
        "md": markdown_path.read_text(encoding="utf-8").replace("\\", ""),  # as read: `\_` is `_`
        "docx": "\n".join(
            [p.text for p in word.paragraphs] + [c.text for t in word.tables for row in t.rows for c in row.cells]
        ),
    }
    ids = [*library.questionnaire.questions, *(rule.id for rule in library.gap_rules), *library.items]
    for kind, text in texts.items():
        assert "Gap report" in text, kind
        shown = [identifier for identifier in ids if identifier in text]
        assert shown == [], (kind, shown)
    if profile.name == "everything.yaml":  # every part of the report, in words
        report = texts["md"]
        assert "- Not yet approved: no approver is recorded (2.2 Which body or role approved this policy?)." in report
        assert "### 8.1 Is this policy part of induction for new staff?\n" in report
        assert "- Are group chats with people who use services allowed? (section 4, Messaging and video)\n" in report
        assert (
            "| 4.4 Which video platforms are approved for meetings with people who use services? | Microsoft Teams |"
            in report
        )
        new = report[report.index("## New questions to answer") :]
        assert "- 6.2 Which covert surveillance may your organisation authorise in law?\n" in new
        assert "Microsoft Teams" in texts["docx"] and "Not yet approved: no approver is recorded" in texts["docx"]
    if result.warnings:  # the questions named as the wizards number them, beside their wording
        question = library.questionnaire.questions[result.warnings[0].questions[0]]
        assert f" {smarten(question.prompt)}" in texts["docx"]  # Word has curly quotes


@pytest.mark.parametrize("profile", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_gap_report_numbers_questions_as_the_wizards_review_numbers_them(library, profile):
    """ "6.2" in the gap report is the question the wizards' review screen shows as 6.2 for the same answers."""
    interview = Interview.from_profile(library, profile, build_date=BUILD_DATE)
    shown = {
        question.id: f"{number}.{position}"
        for number, section in enumerate(interview.sections, start=1)
        for position, question in enumerate(interview.applicable(section.id), start=1)
    }
    answers = load_profile(profile, library.questionnaire, library.nations, build_date=BUILD_DATE)
    context = build_context(library.questionnaire, answers.values, library.nations, BUILD_DATE)
    assert question_numbers(library.questionnaire, context) == shown
