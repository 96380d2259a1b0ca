"""What the third blind review of `policy-builder audit` found wrong (issue 19), each on a short text of our own:
a contradiction must be against the rule whose key concept the sentence says (deleting copies is not keeping
them; viewing through one's own account copies nothing; a "not" in an opening condition rules on nothing)."""

from conftest import audit_text, copy_library

from policy_builder.audit.draft import draft_from_policy
from policy_builder.checks.lint import lint_library
from policy_builder.content.library import load_library

# --- 1. right sentence, right rule ---------------------------------------------------------------------------


def test_deleting_copies_from_the_device_agrees_with_not_keeping_them(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        # once saved: deleting with no word of saving first may delete the only copy (tests/test_audit_review4.py)
        "# Messages\n\n4.1 Staff should clear old text threads off their work device once they have been saved "
        "to the case record.\n",
    )
    finding = audit.finding("records.keep-device-copies")
    assert finding.verdict == "covers", finding
    assert finding.evidence.modality == "forbids"


def test_viewing_through_ones_own_account_is_not_copying_to_personal_storage(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Online checks\n\n5.1 Workers may look at a public profile when it matters to a child's safety. Workers may "
        "use their own personal account for this, but must not send requests or comment.\n\n"
        "5.2 Never forward case notes to your personal email.\n",
    )
    finding = audit.finding("records.personal-storage")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence.startswith("5.2")
    assert all(e.sentence.startswith("5.2") for e in finding.also)


def test_a_not_inside_an_opening_condition_rules_on_nothing(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Pictures\n\nIf a child cannot agree to a picture because of their age, their parent can give permission, "
        "and the worker should write down on the file who agreed.\n",
    )
    assert audit.finding("photos.record-consent").verdict != "contradicts"


def test_a_rule_the_next_sentence_takes_back_is_not_covered(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Phones\n\n3.2 Staff should use a work mobile for texting the families they support. Where a worker has "
        "not been issued with a work mobile, they may use their own phone to text families, with the number "
        "withheld.\n",
    )
    assert audit.finding("messaging.personal-phone").verdict == "contradicts"
    for action in ("messaging.work-device-only", "devices.work-phone-contact"):
        assert audit.finding(action).verdict != "covers", action
    # texting itself is still allowed: the exception does not take that back
    assert audit.finding("messaging.sms").verdict == "covers"


# --- 2. a permission whose condition is the rule's own forbidden case ------------------------------------------


def test_posting_stories_with_names_changed_contradicts_the_rule_on_posting_about_people(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Your own accounts\n\nYou're welcome to share on your own accounts stories about people you have "
        "worked with, as long as you change their names.\n",
    )
    assert audit.finding("posting.about-service-users").verdict == "contradicts"
    # sharing on one's own account is posting, not running a personal account for work
    assert audit.finding("accounts.personal-account-for-work").verdict != "contradicts"


def test_no_rule_against_friending_a_former_client_contradicts_the_rule(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Former clients\n\nAfter a case has been closed for six months there is no rule against accepting a "
        "friend request from a former client.\n",
    )
    finding = audit.finding("contact.connect-former-without-agreement")
    assert finding.verdict == "contradicts", finding
    assert "no rule against" in finding.evidence.cue


def test_other_apps_on_staff_phones_held_up_as_useful_contradicts_the_ai_rule(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Notes\n\nSome staff have found other dictation and transcription apps handy on their personal phones.\n",
    )
    assert audit.finding("records.ai-tool").verdict == "contradicts"
    # a transcription app messages no one
    assert audit.finding("messaging.unapproved-app").verdict != "contradicts"


# --- 3. "Your choice" lines say what their quote says ------------------------------------------------------------


def test_no_duty_to_be_available_is_not_permission_to_contact_out_of_hours(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Evenings\n\nYou don't have to be available outside your working hours, and answering late gives the "
        "impression that you always will be.\n",
    )
    finding = audit.finding("out-of-hours.contact")
    assert finding.verdict == "covers"
    assert finding.requirement.startswith("Your policy does not let staff contact"), finding.requirement


def test_a_ban_on_fake_profiles_is_not_a_ban_on_work_accounts_or_on_looking(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Looking online\n\nDon't set up fake profiles, don't send friend requests to get access, and don't ask "
        "a colleague to look on their accounts for you.\n\nNever create a false profile to look at a family's "
        "Facebook.\n",
    )
    assert audit.finding("viewing.false-identity").verdict == "covers"
    assert audit.finding("accounts.create-work-account").verdict == "misses"
    assert audit.finding("viewing.any").verdict == "misses"


def test_a_not_in_the_condition_does_not_ban_photos(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Can I take a photo?\n\nYes, if there is a good reason. If the person does not have capacity to agree to the "
        "photo, their carer can agree for them, and you should note who agreed.\n",
    )
    finding = audit.finding("photos.take")
    assert not (finding.verdict == "covers" and "does not let" in finding.requirement), finding.requirement


# --- 4. nation and type -----------------------------------------------------------------------------------------


def test_englands_care_statute_and_regulator_say_england(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# About this guide\n\nUnder the Care Act 2014 we promote each person's wellbeing, and the CQC inspects "
        "our services.\n",
    )
    assert audit.scope.nation == "england"


def test_an_hsc_trust_is_called_so_in_the_report(tmp_path, library):
    from policy_builder.audit.report import scope_sentence

    audit = audit_text(
        tmp_path,
        library,
        "# About\n\nThe Southern Health and Social Care Trust expects staff to keep to the NISCC Standards.\n",
    )
    assert (audit.scope.nation, audit.scope.employer_type) == ("northern_ireland", "nhs_trust")
    sentence = scope_sentence(audit, library)
    assert "an HSC trust in Northern Ireland" in sentence, sentence
    assert "NHS trust or health board" not in sentence


def test_a_name_for_an_unknown_type_or_nation_is_caught_by_lint(tmp_path):
    folder = copy_library(tmp_path / "clauses", "05-boundaries.yaml")
    path = folder / "audit.yaml"
    text = path.read_text(encoding="utf-8")
    old = "  names:\n    nhs_trust:\n      northern_ireland: HSC trust\n"
    assert old in text
    path.write_text(
        text.replace(
            old, "  names:\n    nhs_trusts:\n      northern_ireland: HSC trust\n    nhs_trust:\n      ulster: X\n"
        ),
        encoding="utf-8",
    )
    problems = lint_library(load_library(folder), checks=["audit"])
    assert any("scope.names: 'nhs_trusts' is not one of organisation.type's answers" in p for p in problems), problems
    assert any("scope.names.nhs_trust: 'ulster' is not one of nations.yaml's nations" in p for p in problems), problems


# --- 5. PDF lines ---------------------------------------------------------------------------------------------


def test_a_sentence_that_ends_at_the_start_of_a_pdf_line_keeps_its_last_word():
    from policy_builder.audit.read import _reflow

    lines = [
        "Keep work email on the work system. Never forward a case note to yourself to read at",
        "home. When you send anything outside the council, check the address twice before",
        "you press send, and use the secure mail service for health information of any kind.",
        "a. Use secure mail.",
    ]
    text = _reflow(lines, max(len(line) for line in lines))
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    assert "to read at\nhome. When you send" in paragraphs[0], paragraphs
    assert paragraphs[-1].strip() == "a. Use secure mail."  # a one-letter mark still starts a list item


# --- 6. questions and answers -------------------------------------------------------------------------------------


def test_a_question_standing_alone_heads_its_answer(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "7.2 Questions we are asked\n\nThis part answers what staff ask most.\n\n"
        '"A parent wants to add me on Facebook. Is that all right?"\n\n'
        "No. Never accept friend requests from the parents you work with.\n",
        name="policy.txt",
    )
    finding = audit.finding("contact.friend-request-service-user")
    assert finding.verdict == "covers"
    assert finding.evidence.passage.where.startswith("'\"A parent wants to add me on Facebook."), finding.evidence
    assert finding.evidence.passage.where.endswith("paragraph 1")


def test_a_quoted_question_split_over_pdf_lines_stays_whole():
    from policy_builder.audit.read import _reflow

    lines = [
        "Ring the duty team if you are worried about anyone at all (see the list below).",
        '"A parent has sent me a worrying message late at night.',
        'What should I do?"',
        "Treat it as you would a phone call and tell the duty team the same day.",
    ]
    paragraphs = [p for p in _reflow(lines, 90).split("\n\n") if p.strip()]
    assert paragraphs[1].replace("\n", " ").strip() == (
        '"A parent has sent me a worrying message late at night. What should I do?"'
    ), paragraphs


def test_messages_that_need_not_be_copied_to_the_record_contradict_saving_every_message(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Records\n\n9.3 Everyday texts, such as those fixing a visit time, stay on the work phone and do not "
        "need to be copied to the case record.\n",
    )
    assert audit.finding("records.message-to-record").verdict == "contradicts"
    # the case record is a file, not a recording of a call
    assert audit.finding("video.record-call").verdict == "misses"


# --- 7. short instructions under a question -------------------------------------------------------------------------


def test_speak_to_your_manager_first_under_a_question_on_looking_is_the_ask_manager_rule(tmp_path, library):
    text = (
        "5.1 Questions\n\nWe answer what staff ask.\n\n"
        '"Can I look at a parent\'s Facebook page for my work?"\n\nSpeak to your manager first.\n'
    )
    audit = audit_text(tmp_path, library, text, name="policy.txt")
    assert audit.finding("viewing.ask-manager").verdict == "covers"
    # the same sentence under a heading that is no question names no viewing
    plain = audit_text(tmp_path, library, text.replace("for my work?", "for my work"), name="plain.txt")
    assert plain.finding("viewing.ask-manager").verdict == "misses"


def test_an_instruction_in_two_sentences_declines_and_records_a_request(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "6.1 Questions\n\nWe answer what staff ask.\n\n"
        '"A father I work with sent me a friend request. What now?"\n\n'
        "Do not accept it. Make a brief note on the file so colleagues know.\n",
        name="policy.txt",
    )
    assert audit.finding("contact.decline-and-record-request").verdict == "covers"


def test_do_not_accept_is_the_decline_a_rule_asks_for_not_a_ban_on_it(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Requests\n\nDo not accept a friend request from a parent; make a note on the file and tell your manager.\n",
    )
    assert audit.finding("contact.decline-and-record-request").verdict == "covers"
    assert audit.finding("contact.friend-request-service-user").verdict == "covers"


# --- wrong covers from an unrelated quote -----------------------------------------------------------------------


def test_quotes_that_do_not_say_the_rules_key_concept_cover_nothing(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Messages and devices\n\n4.1 Keep a worrying message, and never promise a child to keep it secret.\n\n"
        "4.2 The loss of a work laptop must be reported to the line manager the same day.\n\n"
        "4.3 Consent must be given in writing before any photograph or recording of a child is used in a "
        "leaflet.\n\n4.4 Workers should not have to put up with abuse online.\n",
    )
    for action in (
        "viewing.covert",
        "safety.manager-record-abuse",
        "video.record-call",
        "safety.report-online-abuse",
    ):
        assert audit.finding(action).verdict == "misses", (action, audit.finding(action).evidence)


def test_a_procedures_review_and_advice_before_a_new_app_are_covered(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Review\n\n12.1 This procedure will be reviewed every two years, or sooner if the law changes.\n\n"
        "# New tools\n\n12.2 Staff should get advice from the data protection team before using any new app in "
        "their work.\n",
    )
    assert audit.finding("review.review-policy").verdict == "covers"
    finding = audit.finding("records.new-platform-before-approval")
    assert finding.verdict == "covers", finding


def test_a_short_answer_to_a_question_rules_on_what_the_question_asks(tmp_path, library):
    text = (
        "8.1 Questions\n\nWe answer what staff ask.\n\n"
        '"Someone keeps posting abusive comments about me online. What should I do?"\n\n'
        "Tell your manager. They will help you.\n"
    )
    audit = audit_text(tmp_path, library, text, name="policy.txt")
    finding = audit.finding("safety.report-online-abuse")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence == "Tell your manager."
    # a long sentence after the question is read on its own words
    longer = text.replace("Tell your manager.", "Tell your manager about it when you next see them in the office.")
    assert audit_text(tmp_path, library, longer, name="long.txt").finding("safety.report-online-abuse").verdict == (
        "misses"
    )


def test_the_draft_profile_reads_england_from_the_care_act(tmp_path, library):
    path = tmp_path / "policy.md"
    path.write_text(
        "# About this guide\n\nUnder the Care Act 2014 we promote each person's wellbeing.\n", encoding="utf-8"
    )
    draft = draft_from_policy(library, path)
    settled = {item.question_id: item.value for item in draft.answers}
    assert settled.get("organisation.nation") == "england", settled


def test_a_yes_answer_allows_what_the_question_asks(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "9.1 Questions\n\nWe answer what staff ask.\n\n"
        '"Can I take a photo of a person during a home visit?"\n\n'
        "Yes, if there is a clear reason, such as showing a nurse a pressure sore. Use your work phone.\n",
        name="policy.txt",
    )
    finding = audit.finding("photos.take")
    assert finding.verdict == "covers", finding
    assert finding.requirement.startswith("Your policy lets staff photograph"), finding.requirement
    assert finding.evidence.cue == "the answer 'Yes'"
