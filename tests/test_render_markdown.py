from pathlib import Path

from conftest import BUILD_DATE, PROFILES, base_profile, with_answers

from policy_builder.assemble import build_policy
from policy_builder.gaps import find_gaps
from policy_builder.profile import load_profile
from policy_builder.render.markdown import render_annex, render_gap_report, render_guide, render_policy

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
    report = render_gap_report(policy, find_gaps(library, answers))
    assert report.startswith("# Gap report: London Borough of Eastbrook\n")
    assert "1 gap found in the answers given: 1 high, 0 medium, 0 low." in report
    assert "**Recommendation:**" in report
    # The support questions left out are facts with no default: still to decide, not defaults and not findings.
    still = report[report.index("## Still to decide") : report.index("## Defaults used")]
    assert "### 1. Are people offered a choice of technology, and a way to get the service without it?" in still
    assert "### 2. Do you give people who use your services accessible advice on staying safe online?" in still
    assert "- `document.review_months`: 12" in report
    assert "support.online_safety_advice`: no" not in report
