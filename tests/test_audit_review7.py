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


# --- review 6, 3 and 7: a phone's contacts are no messages; "workers who ... may use" is a permission ---------------

PHONES = (
    "# Phones\n\n3.2 Volunteers who have not been given a work phone may use their own mobile for calls and texts "
    "with the families they support. They must not save families' details in their personal contacts under their "
    "full names.\n"
)


def test_saving_details_in_a_phones_contacts_is_no_rule_on_saving_messages(tmp_path, library):
    audit = audit_text(tmp_path, library, PHONES)
    assert audit.finding("records.message-to-record").verdict == "misses"


@pytest.mark.parametrize("contacts", ["in their phone's contacts", "to your contact list", "in the address book"])
def test_a_phones_contacts_in_other_words(tmp_path, library, contacts):
    text = f"# Phones\n\n3.3 Staff must not save a child's full name {contacts}.\n"
    assert audit_text(tmp_path, library, text).finding("records.message-to-record").verdict == "misses"


def test_saving_messages_to_the_record_is_still_read(tmp_path, library):
    text = "# Records\n\n4.1 Staff must save every message with a family to the case record.\n"
    assert audit_text(tmp_path, library, text).finding("records.message-to-record").verdict == "covers"


def test_workers_who_lack_a_work_phone_may_use_their_own_is_a_permission(tmp_path, library):
    finding = audit_text(tmp_path, library, PHONES).finding("messaging.personal-phone")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"


def test_workers_who_may_be_at_risk_is_no_permission(tmp_path, library):
    text = (
        "# Phones\n\n3.4 Workers who use their own mobile for texts to families may be at risk of harassment, so "
        "they must use the work phone.\n"
    )
    assert audit_text(tmp_path, library, text).finding("messaging.personal-phone").verdict != "contradicts"


# --- review 6, 5: one's own phone allowed where the work phone will not do is no "only from a work device" -------


def test_own_phones_allowed_when_work_phones_will_not_do_do_not_cover_messaging_only_from_a_work_device(
    tmp_path, library
):
    text = (
        "# Groups\n\n4.2 Each course has a WhatsApp group for reminders. Staff may set up the WhatsApp group from "
        "their own phones if their work phones cannot run it.\n"
    )
    assert audit_text(tmp_path, library, text).finding("messaging.work-device-only").verdict != "covers"


def test_messaging_from_the_work_phone_still_covers_it(tmp_path, library):
    text = "# Groups\n\n4.2 Staff must only send WhatsApp messages to families from their work phone.\n"
    assert audit_text(tmp_path, library, text).finding("messaging.work-device-only").verdict == "covers"


# --- review 6, 6: "WhatsApp is useful for arranging visits" allows it -----------------------------------------------

USEFUL = (
    "# Messaging\n\n4.1 Texts and WhatsApp are useful for arranging visits and reminding families of meetings. "
    "Please keep messages short. Don't use messaging for anything sensitive.\n"
)


def test_an_app_the_document_commends_for_arranging_visits_is_a_stance_on_messaging_apps(tmp_path, library):
    finding = audit_text(tmp_path, library, USEFUL).finding("messaging.app")
    assert finding.verdict == "covers", finding
    assert finding.evidence.modality == "allows"


def test_the_draft_reads_whatsapp_for_arranging_visits_as_keeping_in_touch(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(USEFUL, encoding="utf-8")
    assert draft_from_policy(library, path).values().get("messaging.whatsapp") == "keep_in_touch"


def test_useful_to_know_is_no_permission(tmp_path, library):
    text = "# Messaging\n\n4.1 It is useful to know that WhatsApp shows families your profile photo.\n"
    finding = audit_text(tmp_path, library, text).finding("messaging.app")
    assert finding.evidence is None or finding.evidence.modality != "allows"


# --- review 6, 8: "not expected to answer" out of hours is not "No, never" -----------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Staff are not expected to answer work messages outside their working hours.",
        "Workers are not required to reply to texts outside working hours.",
        "You do not have to answer messages out of hours.",
    ],
)
def test_not_expected_to_answer_out_of_hours_leaves_the_question_open(tmp_path, library, sentence):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(f"# Out of hours\n\n7.7 {sentence}\n", encoding="utf-8")
    assert draft_from_policy(library, path).values().get("out_of_hours.contact") != "not_allowed"


def test_never_contact_out_of_hours_still_answers_no(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text("# Out of hours\n\n7.7 Staff must not contact families outside their working hours.\n", "utf-8")
    assert draft_from_policy(library, path).values().get("out_of_hours.contact") == "not_allowed"
