"""What the fourth blind review of `policy-builder audit` found wrong (issue 19), each on a short text of our own:
encouraging evening replies allows out-of-hours contact; looking at a profile is no friend request; a post is
not a work message; deleting with no word of saving first is not keeping no copies after saving."""

from conftest import audit_text

# --- 1. encouraged to reply in the evenings -----------------------------------------------------------------


def test_encouraging_evening_replies_allows_out_of_hours_contact(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Being there for young people\n\nYoung people often need help late in the day. Support workers are "
        "therefore encouraged to answer texts from the young people they work with in the evenings and at weekends if they "
        "can.\n\nIf someone is hurt, ring 999. For worries out of hours contact the Emergency Duty Team on "
        "0100 000 000.\n",
    )
    for action in ("out-of-hours.contact", "out-of-hours.reply"):
        finding = audit.finding(action)
        assert finding.verdict == "covers", finding
        assert finding.evidence.modality == "allows"
        assert "encouraged" in finding.evidence.sentence
        assert "does not let" not in finding.requirement
        assert "lets staff" in finding.requirement


def test_the_emergency_route_is_not_the_out_of_hours_stance(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Out of hours\n\nIf someone is hurt, ring 999. For worries out of hours contact the Emergency Duty Team "
        "on 0100 000 000.\n",
    )
    assert audit.finding("out-of-hours.contact").verdict == "misses"
    assert audit.finding("out-of-hours.tell-emergency-route").verdict != "contradicts"


# --- 2. looking at a profile is not a request -----------------------------------------------------------------


def test_viewing_a_public_profile_is_not_a_friend_request(tmp_path, library):
    text = (
        "# Looking online\n\nWorkers may view the public profile of a parent or a young person where there is a "
        "reason connected to keeping the child safe.\n\nDo not use your own accounts for this.\n"
    )
    assert audit_text(tmp_path, library, text).finding("contact.friend-request-service-user").verdict == "misses"
    text += "\n# Your own accounts\n\nYou must not accept friend requests from young people or their parents.\n"
    finding = audit_text(tmp_path, library, text).finding("contact.friend-request-service-user")
    assert finding.verdict == "covers", finding
    assert "friend requests" in finding.evidence.sentence


# --- 3. a post about a court case is not a work message -------------------------------------------------------


def test_a_post_about_a_court_case_says_nothing_of_writing_messages(tmp_path, library):
    text = (
        "# Your own social media\n\nNever post about a family, a hearing or a court case on your own accounts, "
        "even without names.\n\n# Messages\n\nAnything you send to a young person could be read out in court.\n"
    )
    assert audit_text(tmp_path, library, text).finding("records.treat-message-as-record").verdict == "misses"
    text += "\nWrite every text and email to a young person knowing it could be read out in court.\n"
    finding = audit_text(tmp_path, library, text).finding("records.treat-message-as-record")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence.startswith("Write every text")


# --- 4. deleting the only copy ------------------------------------------------------------------------------


def test_deleting_with_no_word_of_saving_first_does_not_cover_keeping_no_copies(tmp_path, library):
    text = (
        "# Phones\n\n4.1 When the placement has ended, messages and the family's number should be removed from your "
        "own phone once they are no longer needed.\n"
    )
    assert audit_text(tmp_path, library, text).finding("records.keep-device-copies").verdict == "misses"
    saved = text.replace("once they are no longer needed", "once they have been saved to the case record")
    finding = audit_text(tmp_path, library, saved).finding("records.keep-device-copies")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence.startswith("4.1")


def test_deleting_messages_the_document_need_not_record_is_deleting_before_saving(tmp_path, library):
    deleting = (
        "# Phones\n\n4.1 When the placement has ended, messages and the family's number should be removed from your "
        "own phone once they are no longer needed.\n"
    )
    assert audit_text(tmp_path, library, deleting).finding("messaging.delete-before-saved").verdict == "misses"
    unrecorded = "\n# Records\n\n5.2 Everyday messages, such as visit times, do not need to be recorded on the file.\n"
    finding = audit_text(tmp_path, library, deleting + unrecorded).finding("messaging.delete-before-saved")
    assert finding.verdict == "contradicts", finding
    assert finding.evidence.sentence.startswith("4.1")
    # without the sentence that some messages go unrecorded, deleting them is no contradiction
    assert audit_text(tmp_path, library, unrecorded).finding("messaging.delete-before-saved").verdict == "misses"


# --- 5. a list under "What's OK:" / "What's not OK:" ------------------------------------------------------------


def test_a_list_under_whats_not_ok_forbids_and_under_whats_ok_allows(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Phones and messaging\n\nEvery worker has a work phone.\n\n**What's OK:**\n\n"
        "* Texts to parents to confirm a visit time.\n\n**What's not OK:**\n\n"
        "* Apps where messages disappear once read.\n* Using your own mobile. This applies to agency staff too.\n",
    )
    for action in ("messaging.personal-phone", "messaging.disappearing"):
        finding = audit.finding(action)
        assert finding.verdict == "covers", finding
        assert finding.evidence.modality == "forbids"
    sms = audit.finding("messaging.sms")
    assert sms.verdict == "covers", sms
    assert sms.evidence.modality == "allows"
    assert sms.evidence.sentence.startswith("Texts to parents")


def test_deleting_messages_once_they_are_saved_is_what_the_rule_asks(tmp_path, library):
    # the rule is "never delete before it is saved": deleting after saving agrees with it
    audit = audit_text(
        tmp_path,
        library,
        "# Messages\n\n4.1 Staff should clear texts from the work phone once they have been copied to the family's "
        "case file.\n",
    )
    assert audit.finding("messaging.delete-before-saved").verdict != "contradicts"
    assert audit.finding("records.keep-device-copies").verdict == "covers"
