"""Stances read as a principal social worker would: the words each one puts in the policy, card and leaflet.

Each test builds one stance from the example council's answers and checks the
policy does not contradict itself, respects the employer's services, and states
an unanswered question as an open point rather than as a fact.
"""

import re
from typing import Any

from conftest import base_profile, with_answers

from policy_builder.pipeline.assemble import build_policy
from policy_builder.render.summary import leaflet, render_handout_markdown, staff_summary


def build(library, answers_for, unanswered: tuple[str, ...] = (), **answers: Any):
    """The policy for the example council with these answers; `unanswered` question ids are left as None.

    Questions of fact are losing their defaults, so a blank answer is set here
    directly rather than by leaving it out of the profile.
    """
    resolved = answers_for(with_answers(base_profile(), **answers))
    for qid in unanswered:
        resolved.values[qid] = None
    return build_policy(library, resolved)


def text_of(policy) -> str:
    return "\n".join(f"{c.title}\n{c.text}" for c in policy.clauses)


def clause_text(policy, clause_id: str) -> str:
    found = [c for c in policy.clauses if c.id == clause_id]
    assert found, f"{clause_id} is not in the policy"
    return " ".join(found[0].text.split())


def section_text(policy, prefix: str) -> str:
    return " ".join(" ".join(c.text.split()) for c in policy.clauses if c.id.startswith(prefix))


def card(library, policy) -> str:
    return render_handout_markdown(staff_summary(library, policy))


def family_leaflet(library, policy) -> str:
    return render_handout_markdown(leaflet(library, policy))


def flat(text: str) -> str:
    return " ".join(text.split())


# --- messaging and work phones ----------------------------------------------------------


def test_messaging_allowed_without_work_phones_permits_no_messaging_app(library, answers_for):
    policy = build(
        library,
        answers_for,
        devices__work_phones="none",
        messaging__whatsapp="permitted",
        messaging__apps=["whatsapp", "signal"],
    )
    ids = {c.id for c in policy.clauses}
    assert "messaging.no-work-phones" in ids
    assert not ids & {"messaging.permitted", "messaging.keep-in-touch-only", "messaging.approved-apps-only"}
    messaging = section_text(policy, "messaging.")
    assert "staff must not use messaging apps with people who use services" in messaging
    assert not re.search(r"\bStaff may use (WhatsApp|Signal|the approved messaging apps)", messaging)
    # Out-of-hours contact and video do not rely on a phone nobody has.
    assert "work phone" not in clause_text(policy, "devices.work-phones-none").replace("work mobile phones", "")
    leaflet_text = family_leaflet(library, policy)
    assert "WhatsApp" not in leaflet_text.replace("We do not use WhatsApp", "")
    assert "We do not use WhatsApp or other message apps" in leaflet_text
    assert "send you short messages" not in leaflet_text
    assert "Use WhatsApp or any other messaging app" in card(library, policy)


def test_out_of_hours_contact_without_work_phones_uses_a_work_line(library, answers_for):
    policy = build(library, answers_for, devices__work_phones="none", out_of_hours__contact="allowed")
    text = clause_text(policy, "out-of-hours.by-judgement")
    assert "a work line or work calling system" in text
    assert "work phone" not in text


def test_messaging_not_allowed_still_allows_appointment_texts_from_a_work_phone(library, answers_for):
    policy = build(library, answers_for, messaging__whatsapp="not_allowed")
    whole = flat(text_of(policy))
    assert "must not use text messages" not in whole
    assert "text messages" not in clause_text(policy, "messaging.not-allowed")
    calls = clause_text(policy, "messaging.calls-and-texts")
    assert "text people who use services from their work phone for keep-in-touch conversations" in " ".join(
        calls.split()
    )
    assert "Staff must not use WhatsApp" in clause_text(policy, "messaging.not-allowed")
    assert "Call and text people only from a work phone" in card(library, policy)


def test_sms_is_not_counted_among_the_approved_messaging_apps(library, answers_for):
    policy = build(library, answers_for, messaging__whatsapp="keep_in_touch", messaging__apps=["whatsapp", "sms"])
    assert "must not message people who use services on any app other than WhatsApp." in (
        " ".join(clause_text(policy, "messaging.approved-apps-only").split())
    )
    assert "SMS" not in clause_text(policy, "messaging.keep-in-touch-only")
    definition = " ".join(clause_text(policy, "definitions.messaging").split())
    # A video platform such as Teams is not a messaging app, so 8.x's bans on messaging apps never reach it.
    assert "a phone call, text (SMS) or video platform is not one" in definition
    assert "Teams" not in definition


def test_approved_apps_rule_leaves_work_accounts_to_section_6(library, answers_for):
    """Messages through an approved work account (section 6) are not a breach of the approved-apps rule."""
    allowed = build(library, answers_for, accounts__dedicated="with_manager_approval")
    assert clause_text(allowed, "messaging.approved-apps-only").split()[:4] == ["Apart", "from", "work", "accounts,"]
    banned = build(library, answers_for, accounts__dedicated="not_allowed")
    assert clause_text(banned, "messaging.approved-apps-only").split()[:3] == ["Staff", "must", "not"]


def test_some_or_unknown_work_phones_limit_messaging_to_staff_who_have_one(library, answers_for):
    for unanswered in ((), ("devices.work_phones",)):
        policy = build(
            library,
            answers_for,
            unanswered=unanswered,
            devices__work_phones="some",
            messaging__whatsapp="keep_in_touch",
        )
        assert "Staff who have no work phone must not use messaging apps" in clause_text(
            policy, "messaging.keep-in-touch-only"
        )
        devices = clause_text(policy, "devices.work-phones-some")
        if unanswered:
            assert devices.startswith(
                "Whether every member of staff is issued a work mobile phone is still to be decided."
            )
        else:
            assert devices.startswith("Not every member of staff has a work mobile phone.")


def test_the_deadline_for_saving_messages_is_stated_once(library, answers_for):
    for method in ("screenshot", "export", "integrated", "none"):
        policy = build(library, answers_for, messaging__whatsapp="permitted", messaging__record_method=method)
        messaging = section_text(policy, "messaging.")
        assert messaging.count("by the end of the next working day") == 1, method
        assert "within one working day" not in messaging
        assert "end of each working day" not in messaging


def test_disappearing_messages_must_be_off_even_when_switched_on(library, answers_for):
    policy = build(library, answers_for, messaging__whatsapp="keep_in_touch", messaging__auto_delete=True)
    text = clause_text(policy, "messaging.disappearing-off")
    assert text.startswith("Staff must not switch on disappearing messages")
    assert "are switched on" not in section_text(policy, "messaging.")
    assert "Switch on disappearing messages" in card(library, policy)


def test_a_message_seen_out_of_hours_goes_to_the_emergency_route(library, answers_for):
    policy = build(library, answers_for, messaging__whatsapp="keep_in_touch")
    whole = flat(text_of(policy))
    assert "whatever the time" not in whole
    out_of_hours = clause_text(policy, "out-of-hours.no-expectation-to-read")
    assert "must pass it straight to the Emergency Duty Team on 020 8496 0000" in out_of_hours
    assert "anything else should wait until their next working day" in out_of_hours


# --- employer type and services ----------------------------------------------------------


def test_adults_only_service_has_no_parents_or_children_rules(library, answers_for):
    policy = build(library, answers_for, organisation__services=["adults"], organisation__fostering_adoption=False)
    definitions = section_text(policy, "definitions.")
    assert "parent" not in definitions
    assert "child" not in section_text(policy, "boundaries.")
    assert "child" not in clause_text(policy, "video.duty-of-care")
    staff_card = card(library, policy)
    assert "children" not in staff_card.lower()
    assert "Play online games with people who use services" in staff_card
    assert not [c for c in policy.clauses if c.id.startswith("training.carers")]


def test_charity_and_court_service_get_no_council_only_text(library, answers_for):
    for employer in ("voluntary", "court_service"):
        policy = build(library, answers_for, organisation__type=employer, surveillance__powers="not_listed")
        # An employer not listed for surveillance powers is never told its viewing can be directed surveillance.
        assert "definitions.directed-surveillance" not in {c.id for c in policy.clauses}
        assert "directed surveillance" not in "\n".join(c.text for c in policy.clauses if c.id.startswith("viewing."))
        assert "personal-use.political-posts" not in {c.id for c in policy.clauses}
        assert "politically restricted" not in clause_text(policy, "personal-use.private-life-safeguard")
    court = build(library, answers_for, organisation__type="court_service")
    assert not [c for c in court.clauses if c.id.startswith("training.carers")]


def test_council_keeps_its_restricted_posts_exception(library, answers_for):
    policy = build(library, answers_for)
    assert "except for politically restricted posts" in clause_text(policy, "personal-use.private-life-safeguard")
    ni = build(library, answers_for, organisation__nation="northern_ireland")
    assert "politically restricted" not in clause_text(ni, "personal-use.private-life-safeguard")


# --- unanswered is not "no" --------------------------------------------------------------


def test_unanswered_harassment_support_is_not_reported_as_missing(library, answers_for):
    policy = build(library, answers_for, unanswered=("staff.harassment_support",))
    whole = flat(text_of(policy))
    assert "There is not yet a policy" not in whole
    assert "Managers must follow the steps in this section and tell Human Resources" in clause_text(
        policy, "staff-safety.interim-support"
    )
    answered_no = build(library, answers_for, staff__harassment_support=False)
    assert "There is not yet a policy" in clause_text(answered_no, "staff-safety.interim-support")


def test_unanswered_photography_procedure_is_not_stated_as_absent(library, answers_for):
    policy = build(library, answers_for, unanswered=("photography.consent_process",))
    text = clause_text(policy, "devices.no-photographs-yet")
    assert "has no consent procedure" not in text
    assert "unless Eastbrook Council has approved a consent procedure for it" in text


def test_unanswered_facts_print_no_finding_and_no_none(library, answers_for):
    unanswered = (
        "video.one_time_links",
        "support.technology_choice",
        "training.induction",
        "training.carers",
        "training.refresher_months",
        "messaging.number_hidden",
        "messaging.record_method",
        "messaging.auto_delete",
        "students.placements",
    )
    policy = build(library, answers_for, unanswered=unanswered, messaging__whatsapp="keep_in_touch")
    whole = flat(text_of(policy))
    for finding in (
        "are not yet set up with one-time links",
        "A choice of technology is not yet offered",
        "Until this policy is part of formal induction",
        "There is no social media training for carers",
        "There is no set cycle of refresher training",
        "do not hide these",
        "None",
    ):
        assert finding not in whole, finding
    # The safe rule still applies while the answer is open.
    assert "Until Eastbrook Council has agreed a way for messages to reach the record" in whole
    assert "Unless Eastbrook Council has confirmed that its set-up hides these" in whole
    assert any(c.id == "students.same-rules" for c in policy.clauses)


# --- private life and weaving ------------------------------------------------------------


def test_personal_use_is_limited_to_a_link_with_work(library, answers_for):
    policy = build(library, answers_for)
    whole = flat(text_of(policy))
    assert "at any time" not in section_text(policy, "personal-use.")
    for overreach in (
        "breaking the law of any kind",
        "joining or following a group or page",
        "A personal profile must never be open",
        "keep Bluetooth switched off",
        "however long ago the case closed",
    ):
        assert overreach not in whole, overreach
    assert "Staff may keep friendships and family relationships" in clause_text(policy, "boundaries.dual-relationships")
    assert "It does not monitor staff's personal accounts" in clause_text(policy, "personal-use.monitoring")
    assert "trade union activity" in clause_text(policy, "personal-use.private-life-safeguard")


def test_team_names_take_their_article(library, answers_for):
    policy = build(library, answers_for, comms__team="Communications Team")
    assert "Only the Communications Team may speak to the media" in clause_text(
        policy, "personal-use.media-and-official-accounts"
    )
    assert "pass them to the Communications Team" in card(library, policy)


MY_SECTIONS = (
    "definitions.",
    "personal-use.",
    "boundaries.",
    "work-accounts.",
    "devices.",
    "messaging.",
    "video.",
    "out-of-hours.",
    "staff-safety.",
    "students.",
    "training.",
)


def test_rules_use_modal_verbs_not_the_indicative(library, answers_for):
    for stance in ({}, {"messaging__whatsapp": "permitted", "accounts__dedicated": "organisation_managed"}):
        policy = build(library, answers_for, **stance)
        text = " ".join(section_text(policy, prefix) for prefix in MY_SECTIONS)
        for loose in (
            "are encouraged",
            "are expected to",
            "are advised to",
            "is reported at once",
            "are recorded before",
            "is recorded",
            "are discussed",
            "All work is done",
        ):
            assert loose not in text, loose


def test_leaflet_never_asks_for_the_emergency_number_when_it_is_blank(library, answers_for):
    profile = base_profile()
    profile["out_of_hours"].pop("emergency_route")
    policy = build_policy(library, answers_for(profile))
    text = family_leaflet(library, policy)
    assert "ask us now" not in text
    assert "If someone is in danger right now, call 999." in text


# --- issue 13 reviewers: the policy agrees with itself and the guide follows it ------------------


def guide_text(policy, clause_id: str) -> str:
    found = [c for c in policy.guide_clauses if c.id == clause_id]
    assert found, f"{clause_id} is not in the guide"
    return " ".join(found[0].text.split())


def test_the_guide_saves_texts_the_way_the_policy_says(library, answers_for):
    shots = build(library, answers_for, messaging__whatsapp="keep_in_touch", messaging__record_method="screenshot")
    assert "For a text, take a screenshot" in guide_text(shots, "messaging.saving-in-practice")
    assert "copy it into a case note" not in guide_text(shots, "messaging.saving-in-practice")
    by_hand = build(library, answers_for, messaging__whatsapp="keep_in_touch", messaging__record_method="none")
    assert "must copy every message" in clause_text(by_hand, "messaging.saved-by-hand")
    assert "For a text, copy it into a case note" in guide_text(by_hand, "messaging.saving-in-practice")
    assert "screenshot" not in guide_text(by_hand, "messaging.saving-in-practice")


def test_a_former_child_is_never_a_connection_while_under_18(library, answers_for):
    policy = build(library, answers_for)
    assert "and never while that person is under 18." in clause_text(policy, "boundaries.no-personal-connections")
    adults = build(library, answers_for, organisation__services=["adults"])
    assert "under 18" not in clause_text(adults, "boundaries.no-personal-connections")


def test_students_are_in_scope_whenever_the_students_section_is(library, answers_for):
    unknown = build(library, answers_for, unanswered=("students.placements",))
    assert "students on placement" in clause_text(unknown, "purpose.who-it-applies-to")
    assert any(c.id.startswith("students.") for c in unknown.clauses)
    none = build(library, answers_for, students__placements=False)
    assert "students" not in clause_text(none, "purpose.who-it-applies-to")


def test_staff_are_held_to_the_workers_code_not_the_employers(library, answers_for):
    scotland = build(library, answers_for, organisation__nation="scotland")
    posting = clause_text(scotland, "personal-use.responsible-posting")
    assert "would break the SSSC Code for Social Service Workers." in posting
    assert "Employers" not in posting
    # The principles clause names the workers' code for staff and the employers' code as the employer's.
    assert clause_text(scotland, "principles.regulator").startswith(
        "Staff registered with the Scottish Social Services Council (SSSC) must meet the SSSC Code for Social "
        "Service Workers online"
    )


def test_phone_only_video_lets_the_contact_live_on_the_work_phone(library, answers_for):
    phones = build(library, answers_for, video__one_time_links=False, video__platforms=["whatsapp_video", "facetime"])
    invitations = clause_text(phones, "video.no-one-time-links")
    assert "browser" not in invitations
    assert "anywhere but on the work phone" in invitations
    platforms = clause_text(phones, "video.approved-platforms")
    assert platforms.count("work phone") == 1
    teams = build(library, answers_for, video__one_time_links=False, video__platforms=["teams"])
    assert "should not add the person as a contact." in clause_text(teams, "video.no-one-time-links")


def test_a_new_starter_knows_how_to_make_contact_before_the_work_phone_arrives(library, answers_for):
    text = clause_text(build(library, answers_for, devices__work_phones="all"), "devices.work-phones-all")
    assert "is given a work mobile phone" in text
    assert "until it arrives, that means the team's phone or an office landline" in text


def test_out_of_hours_the_guide_does_not_ask_a_worker_to_reply_to_a_disclosure(library, answers_for):
    # 10.x: no contact out of hours off the rota; the guide on disclosures by message must agree.
    policy = build(library, answers_for, out_of_hours__contact="rota_only")
    guide = next(c.text for c in policy.guide_clauses if c.id == "safeguarding-online.disclosure-by-message-guide")
    route = policy.answers.values["out_of_hours.emergency_route"]
    assert f"Out of hours the reply comes from {route}, not from you" in " ".join(guide.split())


def test_a_public_page_is_viewing_and_messages_are_deleted_only_once_saved(library, answers_for):
    policy = build(library, answers_for)
    assert clause_text(policy, "viewing.not-open-source").startswith("Looking at a public page is viewing too.")
    assert "never delete it before it is saved to the record" in " ".join(
        clause_text(policy, "records.digital-contact-is-record").split()
    )


def test_scotland_names_its_child_and_adult_protection_procedures(library, answers_for):
    scottish = build(library, answers_for, organisation__nation="scotland")
    english = build(library, answers_for)
    for policy, term, other in (
        (scottish, "the child protection and adult support and protection procedures", "the safeguarding procedures"),
        (english, "the safeguarding procedures", "adult support and protection"),
    ):
        words = " ".join(text_of(policy).split())
        assert term in words and other not in words


def test_the_guide_explains_messaging_apps_only_where_the_policy_allows_them(library, answers_for):
    guide_text = {}
    for stance in ("not_allowed", "keep_in_touch"):
        policy = build(library, answers_for, messaging__whatsapp=stance)
        guide_text[stance] = next(c.text for c in policy.guide_clauses if c.id == "messaging.calls-and-texts-guide")
    assert "messaging apps" not in guide_text["not_allowed"] and "group chat" not in guide_text["not_allowed"]
    assert "Ordinary messaging apps show" in guide_text["keep_in_touch"]
