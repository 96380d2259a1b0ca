"""The audit's precision on text it has not seen (issue 19, after the second blind review): "covers" only where
the quoted sentence itself says what the rule is about, "contradicts" only on a permission or waiver of the
rule's own action, and the plainly written contradictions a reader expects found. Each on a short text of our
own."""

import pytest
from conftest import audit_text

from policy_builder.audit.match import load_audit_config, read_sentence

# --- 1. covers only where the sentence itself says what is ruled on --------------------------------------------


def test_a_numbered_paragraph_ends_the_list_a_lead_in_introduced(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# 3. Your own accounts\n\n3.1 Staff must not:\n\n- swear at colleagues online;\n- use the logo on a "
        "personal page.\n\n3.2 Staff are encouraged to look again at their settings now and then and to think "
        "about what they share, such as their home address and where they live.\n",
    )
    # 3.2 is not an item of 3.1's list: nothing in it is forbidden, so it states no rule on location details
    assert audit.finding("devices.location-tagging").verdict == "misses"


def test_a_heading_alone_does_not_supply_the_thing_a_rule_is_about(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Looking at people's profiles on social media\n\nA team that wants a page of its own must have it "
        "approved by the web manager.\n",
    )
    # "approved" and the heading's "social media": no word of viewing in the sentence
    assert audit.finding("viewing.authorised").verdict == "misses"


def test_the_thing_ruled_on_in_the_sentence_still_covers(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Social media\n\nAny look at a person's profile must be approved in advance by a senior manager.\n",
    )
    assert audit.finding("viewing.authorised").verdict == "covers"


def test_staff_looking_after_their_own_safety_is_not_helping_people_use_social_media_safely(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Online abuse of staff\n\nWe will support staff to report threats to the police.\n\n"
        "Staff are advised to keep their own privacy settings tight and to block anyone who is abusive.\n",
    )
    assert audit.finding("safeguarding.support-safe-use").verdict == "misses"
    helped = audit_text(
        tmp_path,
        library,
        "# Online safety\n\nWorkers should help the young people they support to use social media safely.\n",
    )
    assert helped.finding("safeguarding.support-safe-use").verdict == "covers"


def test_consent_to_a_photograph_is_not_consent_to_what_is_collected(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Newsletter\n\nNo picture or information that identifies a child may be printed unless the parent's "
        "written consent is on file.\n",
    )
    assert audit.finding("records.seek-consent").verdict == "misses"


def test_photos_on_a_personal_phone_are_not_using_a_personal_device_for_work(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Photographs in direct work\n\nThey must never be taken on a personal phone.\n"
    )
    assert audit.finding("devices.personal-device-for-work").verdict == "misses"
    email = audit_text(
        tmp_path, library, "# Devices\n\nYou may read work email on a personal phone through the approved app.\n"
    )
    assert email.finding("devices.personal-device-for-work").verdict == "covers"


def test_supervision_not_any_discussion_covers_bringing_dilemmas_to_supervision(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Carers\n\nFoster carers should discuss any question about social media with the child's social worker.\n",
    )
    assert audit.finding("training.supervision-dilemmas").verdict == "misses"


def test_an_annex_number_before_an_opening_condition_is_read_as_numbering(library):
    config = load_audit_config(library)
    sentence = "B3.1 Where a worker has not been given a work mobile, they may use their own phone to text a parent."
    reading = read_sentence(
        config, config.actions["devices.work-phone-contact"], sentence, sentence.index("work mobile"), "", None
    )
    # the work phone is the missing thing in the opening condition: the main clause's "may" does not rule on it
    assert reading.modality is None


# --- 2. and 3. contradictions: the rule's own action, plainly allowed ---------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Workers should use their own discretion about friend requests from former clients.",
        "Once our work with a family has ended, it\u2019s up to you to use your judgement about keeping in touch "
        "with them on Facebook.",
    ],
)
def test_contact_with_former_service_users_left_to_the_worker_contradicts(tmp_path, library, sentence):
    audit = audit_text(tmp_path, library, f"# Boundaries\n\n5.1 {sentence}\n")
    finding = audit.finding("contact.connect-former-without-agreement")
    assert finding.verdict == "contradicts", finding
    # the specific rule takes it; the general rule on contact by social media is not accused as well
    assert audit.finding("accounts.social-media-contact").verdict != "contradicts"


def test_contact_with_former_service_users_only_with_the_manager_is_not_a_contradiction(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Boundaries\n\n5.1 Do not connect with former clients on social media without your manager's agreement.\n",
    )
    assert audit.finding("contact.connect-former-without-agreement").verdict == "covers"


def test_messages_deleted_on_a_schedule_and_never_saved_contradict(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Phones\n\n4.1 Sessional staff can text parents from a work mobile, as long as they delete the "
        "messages every month.\n",
    )
    finding = audit.finding("messaging.delete-before-saved")
    assert finding.verdict == "contradicts", finding


def test_messages_deleted_only_once_saved_are_not_a_contradiction(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Phones\n\n4.1 Do not delete a message until it has been saved to the case record.\n",
    )
    assert audit.finding("messaging.delete-before-saved").verdict == "covers"


def test_forbidding_what_the_library_only_permits_is_not_a_contradiction(tmp_path, library):
    # the library's only rule on texting is a "may": a policy that bans texts is stricter, not wrong
    audit = audit_text(tmp_path, library, "# Contact\n\n2.1 Support workers must not send text messages to clients.\n")
    sms = audit.finding("messaging.sms")
    assert sms.verdict == "covers"  # its own choice, stated: not a miss either
    assert sms.requirement.startswith("Your policy does not let staff send text messages")
    # a duty waived still is: the library requires every message saved
    waived = audit_text(tmp_path, library, "# Records\n\n2.1 Support workers do not need to record text messages.\n")
    assert waived.finding("records.message-to-record").verdict == "contradicts"


@pytest.mark.parametrize(
    "sentence",
    [
        "Foster carers can accept friend requests from the child's birth family.",
        "Parents may take photos of their own children at our events and post them online.",
    ],
)
def test_a_permission_given_to_someone_other_than_staff_contradicts_nothing(tmp_path, library, sentence):
    audit = audit_text(tmp_path, library, f"# Families\n\n1.1 {sentence}\n")
    assert not [f.action for f in audit.findings if f.verdict == "contradicts"]


def test_a_permission_for_staff_and_others_together_is_still_staff_s(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Families\n\n1.1 Staff and carers may accept friend requests from a child's parents.\n"
    )
    assert audit.finding("contact.friend-request-service-user").verdict == "contradicts"


def test_a_permission_in_the_passive_is_still_a_permission(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Photos\n\n1.1 Photos of young people can be taken on your own phone and sent in.\n"
    )
    assert audit.finding("photos.personal-device").verdict == "contradicts"


def test_a_work_phone_named_for_something_other_than_contact_does_not_cover_contact_through_it(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Photos\n\n1.1 Photos may only be taken on a work phone.\n")
    assert audit.finding("devices.work-phone-contact").verdict == "misses"


def test_the_manager_on_call_is_not_the_emergency_route_people_are_given(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Worries\n\n1.1 Save the message to the record and tell the manager on call the same day.\n\n"
        "1.2 Every parent is given a leaflet with the out-of-hours service number.\n",
    )
    finding = audit.finding("out-of-hours.tell-emergency-route")
    assert finding.verdict == "covers"
    assert "leaflet" in finding.evidence.sentence


def test_a_child_s_whereabouts_are_not_the_worker_s_own_location(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Photos\n\n1.1 Never post pictures of a child whose whereabouts must be kept secret.\n"
    )
    assert audit.finding("devices.location-tagging").verdict == "misses"


def test_a_rule_covered_elsewhere_is_not_quoted_from_the_sentence_that_contradicts_another(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Phones\n\n1.1 Volunteers can use their own phone to send texts to parents.\n\n"
        "1.2 Staff may send text messages to parents to confirm visits.\n",
    )
    assert audit.finding("messaging.personal-phone").verdict == "contradicts"
    sms = audit.finding("messaging.sms")
    assert sms.verdict == "covers"
    assert sms.evidence.sentence.startswith("1.2"), sms.evidence.sentence


def test_two_sentences_read_together_when_the_second_points_back(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Requests\n\n6.1 Don\u2019t accept friend requests from the parents you support. If a parent sends you one, "
        "just decline it and mention it to your manager.\n",
    )
    finding = audit.finding("contact.decline-and-record-request")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence.startswith("If a parent sends you one")


def test_a_pronoun_that_is_a_subject_does_not_borrow_the_sentence_before(tmp_path, library):
    # "It must be declined": the "it" is the sentence's subject, and the request before is for a report, not a
    # connection; the sentence is not read with the one before it
    audit = audit_text(
        tmp_path,
        library,
        "# Reports\n\n3.1 Parents sometimes send requests for copies of reports. It must be declined by the "
        "manager if the report is not finished.\n",
    )
    assert audit.finding("contact.decline-and-record-request").verdict == "misses"


def test_a_passive_permission_for_parents_is_not_one_for_staff(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Events\n\n1.1 Photos may be taken by parents at events, but staff must not share them.\n"
    )
    assert not [f.action for f in audit.findings if f.verdict == "contradicts"]


def test_the_employer_s_own_phones_handed_back_are_not_a_person_s_phone_examined(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Phones\n\n1.1 Managers can ask staff to hand over work phones for checks.\n"
    )
    assert audit.finding("viewing.device-examination").verdict != "contradicts"


def test_what_a_document_does_not_cover_is_its_scope_not_a_rule(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Scope\n\n1.1 This guidance does not cover the use of corporate accounts.\n"
    )
    assert not [f.action for f in audit.findings if f.verdict != "misses"]


def test_an_opening_noun_is_not_an_instruction(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Boundaries\n\n1.1 Contact with former clients is a matter for your own professional judgement.\n",
    )
    assert audit.finding("contact.connect-former-without-agreement").verdict == "contradicts"
