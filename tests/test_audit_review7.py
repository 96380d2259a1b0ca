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


# --- review 6, 1: the employer type the document says it is, not another body it names ----------------------------

SELF_DESCRIBED = (
    "# About this policy\n\n1.1 Hollin Grove Family Society is a voluntary adoption agency. We assess and support "
    "adoptive families.\n\n# Concerns\n\n6.3 Tell your manager, who will decide whether the Health and Social Care "
    "Trust needs to be told. The Health and Social Care Trust may ask for a short report.\n"
)


def test_the_type_a_document_says_it_is_outranks_another_body_it_names(tmp_path, library):
    audit = audit_text(tmp_path, library, SELF_DESCRIBED)
    assert audit.scope.employer_type == "voluntary"
    assert audit.scope.evidence["employer_type"] == "voluntary adoption agency"
    assert audit.scope.nation == "northern_ireland"  # the other body still says where it is


def test_the_draft_takes_the_type_the_document_says_it_is(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(SELF_DESCRIBED, encoding="utf-8")
    assert draft_from_policy(library, path).values().get("organisation.type") == "voluntary"


def test_we_are_an_independent_agency_outranks_the_councils_it_works_for(tmp_path, library):
    text = (
        "# About us\n\nWe are an independent fostering agency. The placing Council keeps the care plan, and "
        "the Council's social worker leads on family time. Tell the Council of any concern.\n"
    )
    assert audit_text(tmp_path, library, text).scope.employer_type == "independent_provider"


def test_a_type_named_only_in_passing_is_still_counted(tmp_path, library):
    text = "# Contact\n\nStaff of the Council must use the Council's phones. Council staff must not use their own.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.scope.employer_type == "local_authority"
    assert not audit.scope.self_described


# --- review 6, 2: an AI tool allowed once identifiers are taken out ----------------------------------------------------

AI_ONCE_NAMES_ARE_OUT = (
    "# Notes\n\n7.3 Some staff find AI writing tools useful for tidying notes. You may use a tool such as ChatGPT "
    "for this as long as you take out the child's surname and address before you paste anything in. Do not use AI "
    "tools to write court reports.\n"
)


def test_an_ai_tool_allowed_once_identifiers_are_removed_contradicts_the_unapproved_tool_rule(tmp_path, library):
    audit = audit_text(tmp_path, library, AI_ONCE_NAMES_ARE_OUT)
    finding = audit.finding("records.unapproved-tool")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"
    assert "ChatGPT" in finding.evidence.sentence


def test_the_draft_leaves_ai_tools_open_when_a_free_tool_is_allowed_and_one_use_banned(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(AI_ONCE_NAMES_ARE_OUT, encoding="utf-8")
    assert "ai.tools" not in draft_from_policy(library, path).values()  # not "No: no AI tools"


def test_a_ban_on_ai_tools_alone_still_answers_not_allowed(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text("# Notes\n\n7.3 Do not use AI tools with information about the people we support.\n", "utf-8")
    assert draft_from_policy(library, path).values().get("ai.tools") == "not_allowed"
