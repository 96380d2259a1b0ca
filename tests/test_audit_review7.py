"""After the fifth blind review's leftovers and the sixth review of `policy-builder audit` (issue 19), each on a
short text of our own: "Yet the document also says ..." pairs a contradiction only with a sentence that states the
same rule the other way."""

import pytest
from conftest import audit_text

from policy_builder.audit.report import render_markdown

# --- 1. "Yet the document also says ...": the same rule, the other way -----------------------------------------


def test_a_sentence_stating_the_same_rule_the_other_way_is_shown_beside_the_contradiction(tmp_path, library):
    text = (
        "# Contact\n\n4.1 Staff may use their own mobile phone to send texts to people who use the service.\n\n"
        "4.2 Messages to people who use the service should be sent from the work phone and not from a personal "
        "phone.\n"
    )
    audit = audit_text(tmp_path, library, text)
    finding = audit.finding("messaging.personal-phone")
    assert finding.verdict == "contradicts", finding
    assert [e.sentence[:3] for e in finding.opposed] == ["4.2"]
    report = render_markdown(audit, library)
    assert 'Yet the document also says "4.2 Messages to people' in report


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # the modal far from the rule's words: a service to be used, which happens to sit in the record system
        (
            "# Records\n\n5.1 Text messages with families do not have to be saved to the case record.\n\n"
            "5.2 The council's approved texting service, which sits inside the case record system, should be used "
            "for reminders wherever possible.\n",
            "records.message-to-record",
        ),
        # what some young people do not use is no rule for staff on disappearing messages
        (
            "# Apps\n\n3.1 Staff may set up Snapchat on a work phone to keep in touch with young people.\n\n"
            "3.2 Some teenagers do not use WhatsApp or texts and would much rather use Snapchat.\n",
            "messaging.disappearing",
        ),
    ],
)
def test_a_sentence_on_another_matter_is_not_offered_as_the_other_side(tmp_path, library, text, action):
    audit = audit_text(tmp_path, library, text)
    finding = audit.finding(action)
    assert finding.verdict == "contradicts", finding
    assert finding.also  # the matcher found the other sentence ...
    assert finding.opposed == ()  # ... but it does not state this rule the other way
    assert "Yet the document also says" not in render_markdown(audit, library)
