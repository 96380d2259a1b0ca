"""What the second blind review of `policy-builder audit` found wrong (issue 19), each on a short text of our own:
typographic apostrophes, "record" a note or a call, comparisons, opening conditions, Do / Don't tables, a
charity's own words, free AI tools, a break is not working time, and the control table in the draft profile."""

import docx
import pytest
from conftest import audit_text

from policy_builder.audit import audit_document, read_passages
from policy_builder.audit.api import matcher_for
from policy_builder.audit.draft import draft_from_policy
from policy_builder.audit.match import column_modality
from policy_builder.audit.read import _pdf_tables, normalise
from policy_builder.audit.report import render_markdown

# --- 1. typography ---------------------------------------------------------------------------------------------


def test_typographic_quotes_dashes_and_spaces_are_read_in_plain_form():
    assert normalise("Don\u2019t \u2018like\u2019 \u201cposts\u201d \u2013 ever\u00a0again\u00ad.") == (
        "Don't 'like' \"posts\" - ever again."
    )


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_a_curly_apostrophe_makes_a_negative_as_a_straight_one_does(tmp_path, library, apostrophe):
    audit = audit_text(
        tmp_path,
        library,
        f"# Contact\n\n2.1 Don{apostrophe}t accept friend requests from the parents you work with.\n\n"
        f"2.2 You don{apostrophe}t need to record short texts that only fix a meeting time.\n",
    )
    assert audit.finding("contact.friend-request-service-user").verdict == "covers"
    finding = audit.finding("records.message-to-record")
    assert finding.verdict == "contradicts", finding
    assert finding.evidence.cue.lower() == "don't need to"


def test_a_curly_apostrophe_makes_a_negative_in_the_draft_profile(tmp_path, library):
    path = tmp_path / "policy.md"
    path.write_text("# Messages\n\nDon\u2019t add the people you support to group chats.\n", encoding="utf-8")
    draft = draft_from_policy(library, path)
    settled = {item.question_id: item.value for item in draft.answers + draft.left_out}
    assert settled.get("messaging.group_chats") is False, settled


# --- 2. "record" and comparisons --------------------------------------------------------------------------------


def test_recording_messages_in_notes_is_not_recording_a_call(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Notes\n\n3.1 You do not need to record everyday texts, such as fixing the time of a home visit.\n\n"
        "3.2 Staff must not record a video call unless everyone on it agrees.\n",
    )
    assert audit.finding("video.record-call").verdict == "covers"
    assert audit.finding("video.record-call").evidence.sentence.startswith("3.2")


def test_a_comparison_in_a_description_carries_no_rule(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Background\n\nMost teenagers we meet would sooner chat by text message than by email, rather than by "
        "phone or letter.\n",
    )
    assert audit.counts["contradicts"] == 0, [(f.action, f.evidence.sentence) for f in audit.of("contradicts")]


def test_a_comparison_in_an_instruction_still_rules(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Phones\n\nUse your work phone for texts rather than your own phone.\n")
    assert audit.finding("messaging.personal-phone").verdict == "covers"


# --- 3. an opening condition -------------------------------------------------------------------------------------


def test_a_not_in_an_opening_condition_does_not_cancel_the_main_clauses_permission(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Contact\n\n4.2 When a support worker does not have a team mobile yet, they may use their personal mobile "
        "to send a text to a parent, hiding their number.\n",
    )
    finding = audit.finding("messaging.personal-phone")
    assert finding.verdict == "contradicts", finding
    assert finding.evidence.cue == "they may"
    # the work phone is the condition: the sentence does not say contact goes through one
    assert audit.finding("devices.work-phone-contact").verdict == "misses"


# --- 4. Do / Don't tables ---------------------------------------------------------------------------------------

TABLE = """# Reminders

| Always | Never |
|---|---|
| Keep your work phone locked. | Add the people you support to group chats. |
| Tell your manager about threats. | Look up the people you support on social media. |
"""


def test_a_never_column_forbids_its_cells_and_cites_them(tmp_path, library):
    audit = audit_text(tmp_path, library, TABLE)
    group = audit.finding("messaging.group-chat")
    assert group.verdict == "covers" and group.evidence.modality == "forbids", group
    assert group.evidence.passage.where == "'Reminders', row 1, column 'Never'"
    assert group.evidence.cue == "in the column 'Never'"
    viewing = audit.finding("viewing.any")
    assert viewing.evidence.modality == "forbids", viewing
    report = render_markdown(audit, library)
    assert "Your policy lets staff look at" not in report


def test_a_word_table_with_do_and_dont_columns_is_read_cell_by_cell(tmp_path, library):
    document = docx.Document()
    document.add_heading("Quick guide", level=1)
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(
        table.rows[0].cells + table.rows[1].cells,
        ["Do", "Don\u2019t", "Keep messages short.", "Add families to group chats."],
        strict=True,
    ):
        cell.text = text
    path = tmp_path / "guide.docx"
    document.save(str(path))
    matcher = matcher_for(library)
    passages = read_passages(path, lambda heading: column_modality(matcher.config, heading) is not None)
    assert [(p.text, p.column) for p in passages] == [
        ("Keep messages short.", "Do"),
        ("Add families to group chats.", "Don't"),
    ]
    assert audit_document(path, library).finding("messaging.group-chat").evidence.modality == "forbids"


def test_a_table_of_other_columns_is_read_a_row_at_a_time(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Control\n\n| Version | Owner |\n|---|---|\n| 3.1 | Head of Service |\n")
    assert [p.text for p in audit.passages] == ["Version | Owner", "3.1 | Head of Service"]


def test_a_pdf_table_under_do_and_dont_is_taken_back_cell_by_cell(library):
    matcher = matcher_for(library)
    modal = lambda heading: column_modality(matcher.config, heading) is not None  # noqa: E731
    lines = ["Do Don't", "Use the work phone for", "texts.", "Post photos of", "families.", "12.1 Next part."]
    [(first, end, cells)] = list(_pdf_tables(lines, modal))
    assert (first, end) == (0, 5)
    assert [text for _, text in cells] == ["Use the work phone for texts.", "Post photos of families."]
    assert [kind.split("\x1f")[-1] for kind, _ in cells] == ["Do", "Don't"]
    # cells that cannot be told apart (one does not end a sentence) are left as text
    assert list(_pdf_tables(["Do Don't", "Use the work phone", "Post photos."], modal)) == []


# --- 5. a charity's own words -----------------------------------------------------------------------------------


def test_a_charity_is_recognised_from_its_legal_form_and_not_told_council_law(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "Brightpath Youth Trust is a Scottish Charitable Incorporated Organisation (SC099999).\n\n"
        "# Messages\n\nStaff must follow the SSSC Codes of Practice online.\n",
    )
    assert audit.employer_type == "voluntary", audit.scope
    report = render_markdown(audit, library)
    assert "Freedom of Information (Scotland) Act" not in report
    assert "politically restricted" not in report.lower()


@pytest.mark.parametrize("words", ["charity number 1234567", "a voluntary organisation", "(SCIO)"])
def test_a_charity_names_itself_in_other_words(tmp_path, library, words):
    audit = audit_text(tmp_path, library, f"Pathways Support is {words}.\n\n# Use\n\nStaff must keep phones locked.\n")
    assert audit.employer_type == "voluntary", (words, audit.scope)


# --- 6. free AI tools --------------------------------------------------------------------------------------------


def test_free_ai_tools_with_names_taken_out_contradict_the_rule_against_unapproved_tools(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Writing\n\n6.1 If you use a free AI tool, take the child's name out of your notes before pasting them.\n",
    )
    finding = audit.finding("records.unapproved-tool")
    assert finding.verdict == "contradicts", finding
    assert audit.finding("records.ai-tool").verdict == "contradicts"


def test_personal_use_in_breaks_agrees_with_the_working_time_rule(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Own use\n\nPersonal use of social media at work is allowed during breaks only.\n"
    )
    assert audit.finding("conduct.work-time-online").verdict == "covers"


# --- 7. the draft profile takes the control table ------------------------------------------------------------------


def test_the_draft_takes_owner_and_version_from_a_control_table_and_a_charitys_name_and_type(tmp_path, library):
    path = tmp_path / "code.md"
    path.write_text(
        "Northgate Family Link is a Scottish Charitable Incorporated Organisation.\n\n"
        "| Document owner | Head of Family Services |\n|---|---|\n| Version | 4.1 |\n",
        encoding="utf-8",
    )
    answers = draft_from_policy(library, path).values()
    assert answers.get("organisation.name") == "Northgate Family Link", answers
    assert answers.get("organisation.type") == "voluntary"
    assert answers.get("document.owner") == "Head of Family Services"
    assert answers.get("document.version") == "4.1"


# --- 7. a review date long past, and an employer type not found -----------------------------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("| Next review | June 2019 |", "June 2019"),
        ("To be reviewed by 30/06/2019.", "30/06/2019"),
        ("Review date: 2019-06", "2019-06"),
    ],
)
def test_a_review_date_in_the_past_is_said_in_the_summary(tmp_path, library, line, words):
    audit = audit_text(
        tmp_path, library, f"# Oldtown Council social media policy\n\n{line}\n\nStaff must keep phones locked.\n"
    )
    assert audit.review is not None and audit.review.words == words, audit.review
    summary = render_markdown(audit, library)
    assert f"The document was due for review by {words}" in summary
    assert "review it now" in summary


def test_a_review_date_to_come_is_not_called_overdue(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Policy\n\nTo be reviewed in May 2099.\n\nStaff must keep phones locked.\n")
    assert audit.review is not None and audit.review.due.isoformat() == "2099-05-31"
    assert "due for review" not in render_markdown(audit, library)


def test_the_summary_says_when_the_employer_type_is_not_known(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Policy\n\nStaff must follow the SSSC Codes of Practice online.\n")
    assert audit.employer_type is None
    assert "Employer type not known" in render_markdown(audit, library)


def test_posting_photos_taken_at_work_is_not_a_rule_on_posting_about_work(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Your own social media\n\n3.1 You can say that you work for Eastfield Care on your own pages.\n\n"
        "3.2 Don't post pictures taken at work.\n",
    )
    finding = audit.finding("posting.about-work")
    assert finding.evidence.modality == "allows", finding.evidence
    assert finding.evidence.sentence.startswith("3.1")
