"""Matters employers differ on, audited without a profile: the report says what the document decided, for the
employer to confirm (issue 19), never a contradiction of a rule only some employers hold, nor a miss."""

from pathlib import Path

import pytest

from policy_builder.audit import audit_document
from policy_builder.audit.report import render_markdown
from policy_builder.content.library import Library, load_library

POLICY = """# Riverside Support: staff code

## Your own social media

Staff may post about their work and about working for Riverside on their own accounts, as long as no person
we support can be identified.

## Messages

Staff may use WhatsApp on their work phone to keep in touch with the people they support.

Staff may reply to messages in the evening or at weekends if they judge that it helps.

Staff must not join group chats that include people we support.
"""


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory, library: Library):
    path: Path = tmp_path_factory.mktemp("stance") / "riverside.md"
    path.write_text(POLICY, encoding="utf-8")
    return audit_document(path, library)


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("posting.about-work", "Your policy lets staff post about the employer, their own work"),
        ("out-of-hours.reply", "Your policy lets staff "),
        ("messaging.app", "Your policy lets staff message people who use services"),
        ("messaging.group-chat", "Your policy does not let staff create or join a group chat"),
    ],
)
def test_a_decision_on_a_matter_employers_differ_on_is_reported_as_the_documents_choice(audit, action, words):
    finding = audit.finding(action)
    assert finding.verdict == "covers", (action, finding.verdict, finding.evidence)
    assert finding.severity is None
    assert finding.requirement.startswith(words), finding.requirement
    assert finding.requirement.endswith("a choice the questionnaire asks you to confirm, as employers differ on it.")


def test_the_report_shows_the_choice_and_no_contradiction(audit, library):
    report = render_markdown(audit, library)
    assert audit.counts["contradicts"] == 0, [f.action for f in audit.of("contradicts")]
    assert "**Your choice:** Your policy lets staff post about the employer" in report
    assert "**Your choice:** Your policy lets staff message people who use services" in report
    assert "**Contradicts" not in report


def test_allowing_what_no_answer_offers_is_still_a_contradiction(tmp_path: Path, library: Library):
    path = tmp_path / "ai.md"
    path.write_text("# AI\n\nYou can use a free AI chatbot to help you write reports about the families we support.\n")
    finding = audit_document(path, library).finding("records.ai-tool")
    assert finding.verdict == "contradicts"
    assert finding.requirement.startswith("Your policy lets staff use an AI tool")
    assert "more freely than any answer in the questionnaire allows" in finding.requirement
