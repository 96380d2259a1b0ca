"""After the fourth blind review of `policy-builder audit` (issue 19), each on a short text of our own: a board
summary names only the contradictions the audit is sure of ("clear": the quoted sentence says the rule's key
concept and act, against it, and no other rule fits it better), the rest are "to check"; a stance is stated as a
fact about the document only where its sentence says the rule's key concept and act; soft bans and passive "will
not be answered" forbid."""

import json

from conftest import audit_text

from policy_builder.audit.report import board_summary, render_markdown, terminal_lines

# One contradiction the sentence states in terms (texting from one's own phone), one it only implies (deleting
# messages the document never has recorded: no word of saving in the sentence).
PHONES = (
    "# Phones\n\n4.1 Staff may use their own mobile phone to text a young person to confirm a visit time.\n\n"
    "4.2 When the placement has ended, messages and the family's number should be removed from your own phone once "
    "they are no longer needed.\n\n# Records\n\n5.1 Everyday messages, such as visit times, do not need to be "
    "recorded on the file.\n"
)


# --- 1. clear contradictions and contradictions to check -----------------------------------------------------


def test_a_contradiction_stated_in_terms_is_clear_and_one_only_implied_is_to_check(tmp_path, library):
    audit = audit_text(tmp_path, library, PHONES)
    phone = audit.finding("messaging.personal-phone")
    assert phone.verdict == "contradicts", phone
    assert phone.certainty == "clear"
    deleting = audit.finding("messaging.delete-before-saved")
    assert deleting.verdict == "contradicts", deleting
    assert deleting.certainty == "check"  # "removed ... once no longer needed" says nothing of saving
    data = audit.as_dict()
    certainty = {f["action"]: f["certainty"] for f in data["findings"]}
    assert certainty["messaging.personal-phone"] == "clear"
    assert certainty["messaging.delete-before-saved"] == "check"
    json.dumps(data)  # --json carries the class


def test_the_board_summary_and_the_terminal_name_only_clear_contradictions(tmp_path, library):
    audit = audit_text(tmp_path, library, PHONES)
    check = [f for f in audit.of("contradicts") if not f.clear]
    assert check, "the text has a contradiction to check"
    summary = board_summary(audit, library)
    assert "from a personal mobile phone" in summary
    assert "delete a message or conversation before it has been saved" not in summary
    passages = "finding may" if len(check) == 1 else "findings may"
    assert f"{len(check)} more {passages} contradict a rule: marked 'Check' below, for a person to read" in summary
    lines = "\n".join(terminal_lines(audit, library))
    assert "from a personal mobile phone" in lines
    assert "delete a message or conversation before" not in lines
    assert f"{len(check)} more may contradict a rule" in lines
    # the report keeps both, marked
    report = render_markdown(audit, library)
    assert "**Contradicts (high):** Staff must not contact people who use services" in report
    assert "**Check: may contradict (high):** Staff must not delete a message" in report


def test_a_board_summary_with_only_contradictions_to_check_names_none(tmp_path, library):
    # Sharing a live location with a young person is near the location-tagging rule, not that rule in terms.
    text = "# Location\n\n3.1 Workers may share their live location with a young person when meeting them in town.\n"
    audit = audit_text(tmp_path, library, text)
    check = [f for f in audit.of("contradicts") if not f.clear]
    assert check and not [f for f in audit.of("contradicts") if f.clear], audit.of("contradicts")
    summary = board_summary(audit, library)
    passages = "finding may" if len(check) == 1 else "findings may"
    assert f"No clear contradiction; {len(check)} {passages} contradict a rule: marked 'Check' below" in summary


# --- 1b. a stance is stated only where the sentence says it ----------------------------------------------------


def test_forwarding_images_is_no_stance_on_taking_photos(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Images\n\nNever forward indecent images of a child; tell your manager and the police.\n",
    )
    photos = audit.finding("photos.take")
    assert "does not let" not in photos.requirement, photos
    if photos.verdict != "misses":
        assert photos.certainty == "check"
        assert photos.requirement.startswith("Does your policy let staff photograph")
        assert "**Check:** Does your policy let staff photograph" in render_markdown(audit, library)
    taking = audit_text(tmp_path, library, "# Images\n\nStaff must not take photos of children on a visit.\n")
    stated = taking.finding("photos.take")
    assert stated.certainty == "clear", stated
    assert stated.requirement.startswith("Your policy does not let staff photograph")


# --- 3. soft bans and the passive ------------------------------------------------------------------------------


def test_should_be_avoided_forbids(tmp_path, library):
    audit = audit_text(
        tmp_path, library, "# Messaging\n\nGroup chats with parents and young people should be avoided.\n"
    )
    groups = audit.finding("messaging.group-chat")
    assert groups.verdict == "covers", groups
    assert groups.evidence.modality == "forbids"
    assert groups.requirement.startswith("Your policy does not let staff create or join a group chat")


def test_messages_that_will_not_be_answered_out_of_hours_are_no_permission_to_reply(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Out of hours\n\nFamilies should be told that texts will not be answered outside office hours.\n",
    )
    reply = audit.finding("out-of-hours.reply")
    assert reply.verdict == "covers", reply
    assert reply.evidence.modality == "forbids"
    assert "lets staff reply" not in reply.requirement


# --- 2. the draft answers the nation the report states -------------------------------------------------------


def test_the_draft_answers_the_nation_the_audit_judges_by(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    text = (
        "# About this guidance\n\nThis guidance is issued by Brynmawr County Borough Council. Staff registered with "
        "Social Care Wales must also follow its Code of Professional Practice.\n\n# Phones\n\n"
        "Staff must not use their own phone to message a young person.\n"
    )
    audit = audit_text(tmp_path, library, text)
    assert audit.nation == "wales"
    draft = draft_from_policy(library, tmp_path / "policy.md")
    nation = draft.evidence()["organisation.nation"]
    assert nation.value == "wales"
    assert "Social Care Wales" in nation.quote
    assert 0 < nation.confidence < 1


# --- 4. the wizard says how many answers came from the policy ------------------------------------------------


def test_the_wizard_counts_the_answers_from_the_policy(library):
    from policy_builder.interview.session import new_policy_length

    length = new_policy_length(library)
    assert f"6 of {length.questions} have a suggested answer from your policy to check." in length.sentence(6)
    assert "Most already have" not in length.sentence(6)
    assert "Most already have a suggested answer to check." in length.sentence()


def test_the_draft_reads_a_record_system_named_where_things_are_uploaded(tmp_path, library):
    from policy_builder.audit.draft import draft_from_policy

    path = tmp_path / "policy.md"
    path.write_text(
        "# Photos\n\nPhotos must be uploaded to CaseBook and deleted from the phone within two days.\n\n"
        "# Messaging\n\nWhatsApp messages to confirm a visit time are fine; use your work phone.\n",
        encoding="utf-8",
    )
    draft = draft_from_policy(library, path)
    values = draft.values()
    assert values.get("messaging.record_system") == "CaseBook"
    assert values.get("messaging.whatsapp") == "keep_in_touch"
    # an office product is never taken for the record system
    path.write_text("# Files\n\nNotes can be saved to OneDrive while you work on them.\n", encoding="utf-8")
    assert "messaging.record_system" not in draft_from_policy(library, path).values()


def test_no_need_to_copy_routine_texts_into_a_named_system_goes_against_saving_to_the_record(tmp_path, library):
    audit = audit_text(tmp_path, library, "# Records\n\nYou do not need to copy everyday texts into CaseBase.\n")
    finding = audit.finding("records.message-to-record")
    assert finding.verdict == "contradicts", finding
    assert finding.certainty == "clear"
    # copying to somewhere that is not a record is another rule (personal storage), never this one
    other = audit_text(tmp_path, library, "# Email\n\nDo not copy messages to your personal email.\n")
    assert other.finding("records.message-to-record").verdict != "contradicts"


def test_a_team_account_rule_on_interacting_is_no_stance_on_having_one(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Team accounts\n\nDo not follow, like, message or comment from the team account.\n",
    )
    for action in ("accounts.create-work-account", "accounts.use-organisation-account"):
        finding = audit.finding(action)
        assert "does not let" not in finding.requirement, finding


# --- 3b. misses of what the document states in terms ---------------------------------------------------------


def test_a_review_date_in_a_control_table_covers_reviewing_the_policy(tmp_path, library):
    text = (
        "# Document control\n\n| Version | 2.0 |\n|---|---|\n| Review date | June 2027 |\n\n"
        "# Phones\n\nStaff must not text families from their own phone.\n"
    )
    finding = audit_text(tmp_path, library, text).finding("review.review-policy")
    assert finding.verdict == "covers", finding
    assert "June 2027" in finding.evidence.sentence
    without = audit_text(tmp_path, library, "# Phones\n\nStaff must not text families from their own phone.\n")
    assert without.finding("review.review-policy").verdict == "misses"


def test_devices_the_employer_may_check_cover_the_employers_checks(tmp_path, library):
    audit = audit_text(
        tmp_path,
        library,
        "# Devices\n\nWork phones remain the property of the Trust and may be checked by IT or your manager at any "
        "time.\n",
    )
    finding = audit.finding("monitoring.work-systems")
    assert finding.verdict == "covers", finding
    assert finding.evidence.sentence.startswith("Work phones remain")
    other = audit_text(tmp_path, library, "# Devices\n\nStaff must check their work phone for messages each morning.\n")
    assert other.finding("monitoring.work-systems").verdict == "misses"


def test_contact_after_the_case_has_closed_left_to_the_worker_is_a_contradiction(tmp_path, library):
    # "is a personal matter" leaves it to the worker: found against the rule on contact through social media (the
    # rule on former service users would fit better; its words sit in the opening condition, which it cannot read)
    audit = audit_text(
        tmp_path,
        library,
        "# After the case\n\nOnce a young person's order has finished and the case is closed, contact on social "
        "media is a personal matter.\n",
    )
    found = [f for f in audit.of("contradicts") if f.action.startswith(("contact.", "accounts.social-media"))]
    assert found, audit.of("contradicts")
    assert all(f.evidence.cue == "is a personal matter" for f in found)


def test_texting_from_ones_own_phone_is_clear_though_texting_is_allowed(tmp_path, library):
    # "may send texts" is only permitted by the library: a sentence allowing texting from one's own phone still
    # rules on the personal-phone rule it goes against, and is named to a board
    audit = audit_text(
        tmp_path,
        library,
        "# Phones\n\nWhere no work phone is available, staff may use their own phone to text a parent to confirm "
        "a visit time.\n",
    )
    phone = audit.finding("messaging.personal-phone")
    assert phone.verdict == "contradicts", phone
    assert phone.certainty == "clear"


# --- after the sixth blind review: a board reads three different problems, and no table calls a check serious ----

SEVERAL = (
    "# Contact\n\n2.1 Staff may use their own mobile phone and their personal Facebook account to message young "
    "people.\n\n2.2 Staff may use their own account to look at a parent's profile.\n\n"
    "2.3 Staff may take photos of children on whichever phone they have to hand.\n\n"
    "# Location\n\n3.1 Workers may share their live location with a young person when meeting them in town.\n"
)


def test_the_board_summary_names_three_different_sentences_each_with_where(tmp_path, library):
    audit = audit_text(tmp_path, library, SEVERAL)
    clear = [f for f in audit.of("contradicts") if f.clear]
    in_2_1 = [f for f in clear if f.evidence.passage.where == "section 2.1"]
    assert len(in_2_1) >= 2, "one sentence goes against two rules: the case this test is about"
    summary = board_summary(audit, library)
    named = summary.split("Clear contradictions", 1)[1].split("and more below")[0]
    assert named.count("(section 2.1)") == 1, named
    assert "(section 2.2)" in named and "(section 2.3)" in named


def test_the_table_and_the_terminal_count_clear_contradictions_apart_from_those_to_check(tmp_path, library):
    audit = audit_text(tmp_path, library, SEVERAL)
    contradicts = audit.of("contradicts")
    clear = [f for f in contradicts if f.clear]
    check = [f for f in contradicts if not f.clear]
    assert clear and check
    report = render_markdown(audit, library)
    high = sum(1 for f in clear if f.severity == "high")
    assert f"| Contradicts our rules | {high} |" in report
    assert f"| {len(clear)} |\n| May contradict: to check |" in report
    assert report.split("| May contradict: to check |")[1].split("\n")[0].endswith(f"| {len(check)} |")
    lines = "\n".join(terminal_lines(audit, library))
    assert f"contradicts {len(clear)} clearly ({high} high) and may contradict {len(check)} to check" in lines
