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


def test_a_regulator_named_after_such_as_is_no_self_description(tmp_path, library):
    text = (
        "# Scope\n\n1.1 Ashgrove NHS Foundation Trust sets out here how NHS staff use social media. Staff may be "
        "referred to their regulator, such as the Nursing and Midwifery Council.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.scope.employer_type == "nhs_trust"
    assert not audit.scope.self_described


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


# --- review 6: the draft takes the organisation's name, owner and approver from a title or a control block --------


def _draft_values(tmp_path, library, text):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")
    return draft_from_policy(library, path).values()


def test_a_company_named_in_the_title_and_its_control_block(tmp_path, library):
    text = (
        "# Fernhill Care Services Ltd - Staff Handbook\n\nOwner: Registered Manager Approved by: Senior Leadership "
        "Team, May 2025\n\n# 1 Phones\n\n1.1 Staff must use the work phone for texts to families.\n"
    )
    values = _draft_values(tmp_path, library, text)
    assert values.get("organisation.name") == "Fernhill Care Services Ltd"
    assert values.get("document.owner") == "Registered Manager"
    assert values.get("document.approved_by") == "Senior Leadership Team"


def test_an_agency_that_says_what_it_is_and_who_agreed_the_policy(tmp_path, library):
    text = (
        "# About\n\nVersion 1.2, agreed by the Board of Trustees, June 2025. Policy lead: Head of Family Support\n\n"
        "1.1 Harrowgate Family Society is a voluntary adoption agency in England.\n"
    )
    values = _draft_values(tmp_path, library, text)
    assert values.get("organisation.name") == "Harrowgate Family Society"
    assert values.get("document.approved_by") == "Board of Trustees"
    assert values.get("document.owner") == "Head of Family Support"


def test_a_suppliers_possessive_is_not_the_employer(tmp_path, library):
    text = "# Apps\n\n1.1 Staff may use Northgate Software Ltd's case app on the work phone.\n"
    assert "organisation.name" not in _draft_values(tmp_path, library, text)


# --- Part 1, 3: a numbered paragraph's first PDF line is not a heading ---------------------------------------------


def _pdf_headings(lines: list[str]) -> list[str]:
    from policy_builder.audit.read import _passages, _reflow, _text_blocks

    width = max(len(line) for line in lines)
    return list(dict.fromkeys(p.heading for p in _passages(_text_blocks(_reflow(lines, width)))))


def test_a_numbered_paragraph_wrapped_over_pdf_lines_is_not_read_as_a_heading():
    lines = [
        "4. Messages",
        "4.1 Keep messages to families short and about arrangements, and use the work phone for every one.",
        "4.2 Anything important said in a message (a change of plan, a worry or",
        "a complaint) should be written up on the case record the same working day.",
        "4.3 Used carelessly, messages can breach confidentiality and damage the",
        "trust that families place in us, so think before you send anything at all.",
    ]
    assert _pdf_headings(lines) == ["4. Messages"]


def test_a_heading_wrapped_over_two_pdf_lines_is_still_a_heading():
    lines = [
        "8. Looking people up online",
        "8.1 Do not look at a family's social media from your own account, whatever the reason for it.",
        "9. Social workers placed with partner health",
        "teams",
        "9.1 Social workers placed with partner teams follow this policy as well as the partner's own rules.",
    ]
    headings = _pdf_headings(lines)
    assert headings[0] == "8. Looking people up online"
    assert headings[1].startswith("9. Social workers placed with partner health")


# --- Part 1, 4: draft answers left open rather than read from a neighbouring rule -----------------------------------


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # a look carried out from the team's work account, agreed with the manager: no stance on setting one up
        (
            "A one-off look must be agreed with your manager and carried out from the team's work account, not a "
            "personal account.",
            "accounts.dedicated",
        ),
        # screenshots that can be uploaded are an option beside the case note, not the way messages are recorded
        ("Screenshots of important messages can be uploaded to the case record.", "messaging.record_method"),
        (
            "Case records, including screenshots saved to the record, are kept in line with the retention schedule.",
            "messaging.record_method",
        ),
        # avoid where possible, or ask the manager first: allowed in some cases, not "no"
        ("Group chats with several young people should be avoided where possible.", "messaging.group_chats"),
        ("Speak to your manager before setting up a group chat with families.", "messaging.group_chats"),
        # a home computer is a personal device, not the desktop app at work
        ("Do not use WhatsApp Web on a home computer.", "messaging.desktop_apps"),
        # a ban on sharing details between colleagues is no ban on the app with families
        (
            "WhatsApp must not be used to share personal details about service users between colleagues.",
            "messaging.whatsapp",
        ),
        # not monitored in the evenings is no rule that staff never contact people then
        (
            "Families should be told that messages are not monitored in the evenings or at weekends.",
            "out_of_hours.contact",
        ),
    ],
)
def test_a_neighbouring_rule_leaves_the_question_unanswered(tmp_path, library, sentence, question):
    assert question not in _draft_values(tmp_path, library, f"# Rules\n\n5.1 {sentence}\n")


@pytest.mark.parametrize(
    ("sentence", "question", "value"),
    [
        ("Group chats with families must not be used.", "messaging.group_chats", False),
        ("Do not use WhatsApp Web or the desktop app.", "messaging.desktop_apps", False),
        ("Screenshots of messages must be saved to the case record.", "messaging.record_method", "screenshot"),
    ],
)
def test_the_rule_itself_still_answers(tmp_path, library, sentence, question, value):
    # (the messaging questions are asked only where messaging apps are allowed)
    allowed = "5.0 Staff may use WhatsApp on the work phone to keep in touch with families about visits.\n\n"
    assert _draft_values(tmp_path, library, f"# Rules\n\n{allowed}5.1 {sentence}\n").get(question) == value


def test_a_ban_on_whatsapp_with_families_still_answers_not_allowed(tmp_path, library):
    text = "# Rules\n\n5.1 WhatsApp must not be used to contact families.\n"
    assert _draft_values(tmp_path, library, text).get("messaging.whatsapp") == "not_allowed"


# --- review 6, 12: forbidding sharing a password is no stance against locking the device -----------------------------


def test_do_not_share_your_password_does_not_contradict_locking_devices(tmp_path, library):
    text = "# Devices\n\n3.4 Do not share your password or let family members use your work phone.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("devices.lock").verdict != "contradicts"
    assert audit.finding("devices.share-passcode").verdict == "covers"


def test_protect_the_phone_with_a_password_still_covers_locking(tmp_path, library):
    text = "# Devices\n\n3.4 Staff must protect every work phone with a password.\n"
    assert audit_text(tmp_path, library, text).finding("devices.lock").verdict == "covers"


def test_checking_with_the_social_worker_before_sending_photos_is_no_stance_on_verifying_them(tmp_path, library):
    text = "# Photos\n\n5.1 Carers should check with the supervising social worker before sending photos.\n"
    assert audit_text(tmp_path, library, text).finding("evidence.rely-unverified").verdict != "contradicts"


def test_sharing_photos_on_ones_own_social_media_is_no_viewing_through_it(tmp_path, library):
    text = (
        "# Photos\n\n5.2 With the family's agreement, staff may share photographs of the day on their own social "
        "media, provided the child's name is not shown.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("viewing.personal-account").verdict == "misses"
    assert audit.finding("photos.post").verdict == "contradicts"  # what it does say is still read


def test_looking_through_ones_own_account_is_still_viewing(tmp_path, library):
    text = "# Viewing\n\n7.1 Staff may look at a parent's posts from their own account and share what they find.\n"
    assert audit_text(tmp_path, library, text).finding("viewing.personal-account").verdict == "contradicts"


# --- review 6, 10 and 11: deleting with no saving step covers neither keeping copies after saving nor privacy work --


def test_keeping_messages_no_longer_than_needed_is_no_rule_on_copies_after_saving(tmp_path, library):
    text = "# Phones\n\n7.3 Carers should not keep messages from a child's family on their phone longer than needed.\n"
    assert audit_text(tmp_path, library, text).finding("records.keep-device-copies").verdict != "covers"


def test_deleting_copies_once_saved_still_covers_it(tmp_path, library):
    text = "# Phones\n\n7.3 Once a message is saved to the record, staff must not keep a copy on the phone.\n"
    assert audit_text(tmp_path, library, text).finding("records.keep-device-copies").verdict == "covers"


def test_clearing_message_threads_for_privacy_is_no_work_with_carers_on_settings(tmp_path, library):
    text = (
        "# Phones\n\n7.3 To protect the family's privacy, staff should clear routine message threads from their "
        "phones every month.\n"
    )
    assert audit_text(tmp_path, library, text).finding("safeguarding.work-with-carers").verdict == "misses"


# --- review 6, 9: a routine check in an assessment is not the single urgent look ---------------------------------


def test_a_routine_assessment_check_is_not_a_single_look(tmp_path, library):
    text = (
        "# Looking people up\n\n7.1 As part of a fostering assessment we may check publicly available information "
        "about applicants online.\n"
    )
    assert audit_text(tmp_path, library, text).finding("viewing.single-look").verdict == "misses"


def test_a_one_off_urgent_look_still_covers_it(tmp_path, library):
    text = (
        "# Looking people up\n\n7.1 Staff may take a single look at a parent's publicly available profile for an "
        "urgent safeguarding reason, with their manager's agreement first.\n"
    )
    assert audit_text(tmp_path, library, text).finding("viewing.single-look").verdict == "covers"


def test_a_communications_officer_is_not_cut_to_an_office(tmp_path, library):
    text = "# Media\n\n5.5 Refer any request from a journalist to the Communications Officer.\n"
    assert _draft_values(tmp_path, library, text).get("comms.team") != "the Communications Office"


# --- review 6, 14: rules a document states in other words ------------------------------------------------------------


def test_new_staff_taken_through_the_chapter_at_induction_covers_induction(tmp_path, library):
    text = "# Training\n\n9.1 New staff will be taken through this chapter during their induction.\n"
    assert audit_text(tmp_path, library, text).finding("training.complete-induction").verdict == "covers"


# --- found by the lead after the round: a tool the sentence says is approved keeps the rule -------------------------


def test_allowing_a_tool_the_sentence_says_is_approved_covers_the_unapproved_tool_rule(tmp_path, library):
    approved = (
        "# AI\n\n11.1 Staff may use Microsoft Copilot, which the council has approved, to summarise meeting notes.\n"
    )
    finding = audit_text(tmp_path, library, approved).finding("records.unapproved-tool")
    assert finding.verdict == "covers", finding
    not_yet = "# AI\n\n11.1 Staff may use ChatGPT for case notes, although it has not been approved, once names are removed.\n"
    finding = audit_text(tmp_path, library, not_yet).finding("records.unapproved-tool")
    assert finding.verdict == "contradicts" and finding.certainty == "clear", finding
