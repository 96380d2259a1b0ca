"""After the fifth blind review of `policy-builder audit` (issue 19), each on a short text of our own: photos on
any phone go against "no images on a personal device"; "no need to save the messages" goes against saving them
to the record, however else the document asks for a summary; the draft names the document's own issuer, never a
partner named in passing, and leaves an employer type answered two ways open; rules a document states in other
words (a named officer approves new tools; one's own email; a one-off look agreed beforehand and recorded) are
covers, not misses; and unrelated words are neither covers nor contradictions."""

import pytest
from conftest import audit_text

# --- 1. photos on any phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        "on any phone they have with them",
        "on whichever mobile is nearest",
        "on their own or a work phone",
    ],
)
def test_photos_allowed_on_any_phone_go_against_no_images_on_a_personal_device(tmp_path, library, where):
    text = f"# Pictures\n\n3.1 Staff may take photos of the people they support {where}.\n"
    audit = audit_text(tmp_path, library, text)
    finding = audit.finding("photos.personal-device")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"  # it says photos, a phone and the act


def test_photos_only_on_a_work_phone_are_no_contradiction(tmp_path, library):
    text = "# Pictures\n\n3.1 Staff may take photos of the people they support on a work phone only.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("photos.personal-device").verdict != "contradicts"


def test_a_video_call_sentence_is_no_rule_on_images_on_a_personal_device(tmp_path, library):
    text = (
        "# Calls\n\n7.5 Video consultations must use the approved platform, never personal accounts on "
        "FaceTime or similar.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("photos.personal-device").verdict == "misses"
    assert audit.finding("video.unapproved-platform").verdict == "covers"


# --- 2. no need to save the messages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "There is no need to save the messages.",
        "Texts with families need not be saved.",
        "There is no requirement to record text messages with parents.",
    ],
)
def test_no_need_to_save_messages_goes_against_saving_them_to_the_record(tmp_path, library, sentence):
    audit = audit_text(tmp_path, library, f"# Messages\n\n2.1 {sentence}\n")
    finding = audit.finding("records.message-to-record")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"


def test_a_summary_where_relevant_does_not_cover_saving_messages_the_document_says_need_not_be_saved(tmp_path, library):
    summary = "2.2 Where a message raises a concern, a summary should be recorded in the case notes.\n"
    alone = audit_text(tmp_path, library, f"# Messages\n\n{summary}")
    assert alone.finding("records.message-to-record").verdict == "covers"
    both = audit_text(
        tmp_path,
        library,
        f"# Messages\n\n2.1 Staff may use the work phone to message young people. There is no need to save the "
        f"messages.\n\n{summary}",
    )
    finding = both.finding("records.message-to-record")
    assert finding.verdict == "contradicts", finding
    assert "no need to save" in finding.evidence.sentence


# --- 3. the draft's organisation is the document's issuer ------------------------------------------------------

ISSUER = (
    '# Social Media Policy\n\n1.1 Ashdown Valley NHS Foundation Trust ("the Trust") sets out here how its staff '
    "use social media.\n\n2.1 Social workers employed by Westmere Metropolitan Borough Council and seconded to the "
    "Trust follow this policy. Staff seconded from Westmere Metropolitan Borough Council keep their council "
    "email. Westmere Metropolitan Borough Council remains their employer.\n\n2.2 Local authority staff working "
    "within Trust services follow it too.\n\n3.1 Patients may leave reviews on sites such as NHS.uk.\n"
)


def test_the_draft_names_the_issuer_not_a_partner_mentioned_more_often(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(ISSUER, encoding="utf-8")
    values = draft_from_policy(library, path).values()
    assert values.get("organisation.name") == "Ashdown Valley NHS Foundation Trust"


def test_this_policy_applies_to_names_the_issuer(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(
        "# Scope\n\nThis policy applies to Rowan Bridge Council employees. Staff placed with Kestrel County "
        "Council or Kestrel County Council partners follow Kestrel County Council rules on site.\n",
        encoding="utf-8",
    )
    assert draft_from_policy(library, path).values().get("organisation.name") == "Rowan Bridge Council"


def test_an_employer_type_answered_two_ways_is_left_open(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(ISSUER, encoding="utf-8")
    draft = draft_from_policy(library, path)
    assert "organisation.type" in {c.question_id for c in draft.conflicts}
    assert "organisation.type" not in draft.values()


# --- 4. rules stated in other words are covers ------------------------------------------------------------------


def test_a_named_officer_approving_new_tools_before_use_covers_the_rule(tmp_path, library):
    text = "# Roles\n\n4.2 The Data Protection Lead approves new digital messaging tools before they are used with families.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("records.new-platform-before-approval").verdict == "covers"


def test_not_forwarding_to_ones_own_email_covers_personal_storage(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Records\n\n5.1 Do not forward photos of the notes to your own email.\n")
    assert audit.finding("records.personal-storage").verdict == "covers"


def test_a_co_ordinator_spoken_to_first_is_no_single_look(tmp_path, library):
    text = (
        "# Looking at social media\n\n6.2 Repeated viewing of someone's social media may need authorisation; "
        "speak to the surveillance co-ordinator first.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("viewing.single-look").verdict == "misses"
    assert audit.finding("viewing.authorised").verdict == "covers"


def test_a_one_off_look_agreed_beforehand_and_recorded_covers_the_viewing_rules(tmp_path, library):
    text = (
        "# Looking at social media\n\n6.1 A single look at an open profile may be appropriate during an assessment. "
        "This must be agreed with your manager beforehand, done from the team account and not a personal account, "
        "and recorded on the case system with the date, what was seen and why.\n\n6.2 Repeated or systematic "
        "checking of someone's social media may amount to directed surveillance and need authorisation under the "
        "surveillance law.\n"
    )
    audit = audit_text(tmp_path, library, text)
    for action in ("viewing.single-look", "viewing.record", "viewing.repeated", "viewing.authorised"):
        assert audit.finding(action).verdict == "covers", audit.finding(action)
    # "and not a personal account" negates its own phrase, not the recording after it
    assert "recorded on the case system" in audit.finding("viewing.record").evidence.sentence
    # the work account the look is done from connects with no one
    assert audit.finding("accounts.agree-connections").verdict == "misses"


# --- 1b. verbal agreement with no word of recording it -----------------------------------------------------------


def test_verbal_agreement_enough_with_no_record_goes_against_recording_photo_consent(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Pictures\n\n3.2 For a photograph, verbal agreement is enough.\n")
    finding = audit.finding("photos.record-consent")
    assert finding.verdict == "contradicts", finding
    noted = audit_text(
        tmp_path,
        library,
        "# Pictures\n\n3.3 Verbal agreement is enough for a photograph, and should be noted on the file.\n",
    )
    assert noted.finding("photos.record-consent").verdict == "covers"


# --- 5. no false "check" from words that only look alike ----------------------------------------------------------


def test_ones_own_privacy_settings_reviewed_regularly_are_no_viewing(tmp_path, library):
    text = "# Your own accounts\n\n6.5 Staff should review their privacy settings regularly and check their profiles.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("viewing.repeated").verdict == "misses"
    assert audit.finding("viewing.any").verdict == "misses"
    assert audit.finding("devices.privacy-settings").verdict == "covers"


def test_staying_in_touch_on_personal_social_media_is_no_viewing_through_it(tmp_path, library):
    text = (
        "# After the case\n\nOnce the case has closed, workers are free to stay in touch with care leavers "
        "through their personal social media.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("viewing.personal-account").verdict == "misses"
    assert audit.finding("contact.connect-former-without-agreement").verdict == "contradicts"


def test_public_confidence_is_not_treating_posts_as_public(tmp_path, library):
    text = "# Conduct\n\nYou must not make comments online that could undermine public confidence in the service.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("posting.assume-public").verdict == "misses"


def test_not_recording_calls_is_not_against_acting_as_if_recorded(tmp_path, library):
    text = (
        "# Calls\n\nDo not record video calls with families unless the people taking part know the call is being "
        "recorded.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("safety.act-as-if-recorded").verdict != "contradicts"


# --- 7. covers from an unrelated word --------------------------------------------------------------------------------


def test_letters_an_ai_tool_drafts_are_neither_a_non_digital_way_nor_messages_as_records(tmp_path, library):
    text = (
        "# AI\n\nStaff may use approved AI tools to help draft letters and reports, provided they remove names "
        "before pasting any text in.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("services.offer-non-digital").verdict == "misses"
    assert audit.finding("records.treat-message-as-record").verdict == "misses"


def test_the_views_staff_express_are_not_viewing_social_media(tmp_path, library):
    text = (
        "# Personal use\n\nStaff who say they work for us on their social media profiles should make clear "
        "that the views they express are their own.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("viewing.any").verdict == "misses"
    assert audit.finding("posting.work-disclaimer").verdict == "covers"


def test_photos_never_posted_is_no_stance_on_posting_about_work(tmp_path, library):
    text = "# Pictures\n\nPhotographs of children must never be posted on the team's social media without consent.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("posting.about-work").verdict == "misses"
    assert audit.finding("photos.post").verdict == "covers"


def test_a_data_protection_officer_is_no_data_protection_principle(tmp_path, library):
    text = "# New tools\n\nNew apps must not be used until the Data Protection Officer has approved them.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("records.data-protection-principles").verdict == "misses"
    assert audit.finding("records.new-platform-before-approval").verdict == "covers"


# --- 6. the board's count of agreement ---------------------------------------------------------------------------------


def test_the_board_counts_only_plain_covers_as_in_agreement(tmp_path, library):
    from policy_builder.audit.report import board_summary

    text = (
        "# Contact\n\nStaff may use WhatsApp on the work phone to arrange visits with families.\n\n"
        "Staff must not accept friend requests from service users on their personal social media.\n"
    )
    audit = audit_text(tmp_path, library, text)
    covers = audit.of("covers")
    plain = [f for f in covers if f.position != "depends"]
    choices = [f for f in covers if f.position == "depends" and f.certainty != "check"]
    assert plain and choices, [(f.action, f.position, f.certainty) for f in covers]
    summary = board_summary(audit, library)
    assert f"({len(plain)} in agreement with our rule, " in summary
    wording = "a choice" if len(choices) == 1 else "choices"
    assert f"{len(choices)} {wording} for you to confirm" in summary


def test_two_choices_at_odds_on_one_sentence_become_passages_to_check(tmp_path, library):
    text = (
        "# Out of hours\n\nWork phones should be switched off outside your working hours, and young people should "
        "be told when they can expect a reply.\n"
    )
    audit = audit_text(tmp_path, library, text)
    contact, reply = audit.finding("out-of-hours.contact"), audit.finding("out-of-hours.reply")
    assert contact.evidence.sentence == reply.evidence.sentence
    for finding in (contact, reply):
        assert finding.verdict == "covers" and finding.certainty == "check", finding
        assert finding.requirement.startswith("Does your policy let staff")
    # one choice alone on its sentence stays the document's decision
    alone = audit_text(tmp_path, library, "# Out of hours\n\nDo not message families outside your working hours.\n")
    assert alone.finding("out-of-hours.contact").certainty == "clear"


# --- 6. rules stated in other words (review 5 item 10) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"),
    [
        (
            "# Calls\n\n7.5 Video calls must use Microsoft Teams, never personal accounts on other apps.\n",
            "video.approved-platform",
        ),
        (
            "# AI tools\n\n10.1 Staff may use the approved AI assistant to draft reports. The worker remains responsible "
            "for checking the accuracy of anything it produces.\n",
            "records.ai-draft-review",
        ),
        ("# Training\n\n13.1 This policy is included in corporate induction.\n", "training.complete-induction"),
        (
            "# Evenings\n\nD1. Work phones should be switched off outside your working hours.\n",
            "wellbeing.digital-free-time",
        ),
        (
            "# Messages\n\nC2. Do not use messaging to tell a young person something significant, such as a decision "
            "about their placement.\n",
            "messaging.sensitive-content",
        ),
        (
            "# About\n\nThis protocol sits beneath the corporate code, and should be read with the safeguarding "
            "procedures.\n",
            "conduct.follow-related-policies",
        ),
    ],
)
def test_a_rule_in_other_words_is_covered(tmp_path, library, text, action):
    audit = audit_text(tmp_path, library, text)
    assert audit.finding(action).verdict == "covers", audit.finding(action)


def test_video_calls_on_personal_accounts_allowed_are_no_approved_platform(tmp_path, library):
    text = "# Calls\n\nStaff may hold video calls on their personal accounts if Teams is down.\n"
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("video.approved-platform").verdict != "covers"


def test_the_board_names_first_the_contradiction_that_rests_on_law(tmp_path, library):
    from policy_builder.audit.api import LEGAL_PREFIXES
    from policy_builder.audit.report import board_summary

    def rests_on_law(finding):
        return any(library.items[s].document.startswith(LEGAL_PREFIXES) for s in finding.sources)

    text = (
        "# Phones\n\n4.1 Staff may use their own mobile phone to text a young person to confirm a visit time.\n\n"
        "# AI\n\n10.1 Staff may paste case notes into any free AI chatbot to help write reports.\n"
    )
    audit = audit_text(tmp_path, library, text)
    phone, ai = audit.finding("messaging.personal-phone"), audit.finding("records.unapproved-tool")
    assert phone.clear and ai.clear and phone.severity == ai.severity == "high"
    assert rests_on_law(ai) and not rests_on_law(phone)
    summary = board_summary(audit, library)
    assert summary.index("online tool (AI tools included)") < summary.index("from a personal mobile phone")


def test_a_name_in_the_title_is_the_issuer(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(
        "# Ashdown Valley NHS Foundation Trust Social Media Policy\n\nSocial workers employed by Westmere "
        "Metropolitan Borough Council follow this policy. Westmere Metropolitan Borough Council staff keep their "
        "email. Westmere Metropolitan Borough Council remains their employer.\n",
        encoding="utf-8",
    )
    assert draft_from_policy(library, path).values().get("organisation.name") == "Ashdown Valley NHS Foundation Trust"


def test_an_app_whose_messages_disappear_set_up_for_contact_goes_against_disappearing_messages(tmp_path, library):
    text = "# Apps\n\nWorkers may set up Snapchat on their work phone to keep in touch with young people.\n"
    audit = audit_text(tmp_path, library, text)
    finding = audit.finding("messaging.disappearing")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"


def test_a_look_done_from_the_team_work_account_is_no_stance_on_setting_one_up(tmp_path, library):
    text = (
        "# Looking at social media\n\nA look must be agreed with your manager and carried out from the team's "
        "work account.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.finding("accounts.create-work-account").verdict == "misses"
    set_up = audit_text(
        tmp_path, library, "# Accounts\n\nStaff may set up a work account on Facebook with their manager's approval.\n"
    )
    assert set_up.finding("accounts.create-work-account").verdict == "covers"
