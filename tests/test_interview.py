"""The UI-free interview (interview.py) and the profile writer it saves through (profile.save_profile)."""

import dataclasses
import datetime as dt

import pytest
import yaml
from conftest import BUILD_DATE, PROFILES, base_profile, with_answers

from policy_builder.content.questionnaire import AnswerError, cast_answer, resolve_answers
from policy_builder.core.errors import ProfileError
from policy_builder.interview.session import (
    Interview,
    describe_answer,
    form_value,
    parse_answer,
    read_form_answer,
    typed_form,
)
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.pipeline.profile_edit import dump_profile, read_draft, save_profile

# The options' labels, read by managers in place of the values a profile stores.
WHATSAPP = "No, not at all; Yes, but only to keep in touch; Yes, for any work conversation, including assessments, plans and concerns"
ALL_PROFILES = sorted(PROFILES.glob("*.yaml"))


def q(library, qid):
    return library.questionnaire.questions[qid]


def interview_for(library, write_profile, profile) -> Interview:
    return Interview.from_profile(library, write_profile(profile), build_date=BUILD_DATE)


# --- reading typed answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [("y", True), ("Yes", True), ("TRUE", True), ("n", False), ("no", False), (" N ", False)]
)
def test_yes_no_answers(library, text, value):
    assert parse_answer(q(library, "training.induction"), text) is value


def test_choice_by_number_id_or_label(library):
    question = q(library, "messaging.whatsapp")
    assert parse_answer(question, "2") == "keep_in_touch"
    assert parse_answer(question, "permitted") == "permitted"
    assert parse_answer(question, "no, not at all") == "not_allowed"


def test_choice_out_of_range_says_what_to_type(library):
    with pytest.raises(AnswerError) as info:
        parse_answer(q(library, "messaging.whatsapp"), "4")
    assert str(info.value) == f"'4' is not one of the options. Choose one of: {WHATSAPP} (type a number from 1 to 3)"


def test_multi_accepts_several_in_any_separator_in_the_order_typed(library):
    question = q(library, "messaging.apps")
    assert parse_answer(question, "5,1") == ["sms", "whatsapp"]
    assert parse_answer(question, "2 5") == ["signal", "sms"]
    assert parse_answer(question, "1-3, 3") == ["whatsapp", "signal", "telegram"]
    assert parse_answer(question, "signal, sms") == ["signal", "sms"]


def test_multi_with_an_unknown_option(library):
    with pytest.raises(AnswerError) as info:
        parse_answer(q(library, "organisation.services"), "1,9")
    assert str(info.value) == (
        "'9' is not one of the options. Choose from: Children and families, Adults "
        "(type numbers from 1 to 2 separated by commas, such as 1,2)"
    )


def test_dates_as_people_write_them(library):
    question = q(library, "document.effective_date")
    # ISO, UK day/month/year (1 April, not 4 January) and words all give the same date.
    for typed in ("2027-04-01", "01/04/2027", "1/4/2027", "1 April 2027", "1st april 2027", "1 Apr 2027"):
        assert parse_answer(question, typed) == dt.date(2027, 4, 1), typed
    assert parse_answer(question, "13/04/2027") == dt.date(2027, 4, 13)


def test_impossible_dates_are_named_in_words(library):
    question = q(library, "document.effective_date")
    cases = {
        "30 February 2027": "30 February 2027 is not a date",
        "30/02/2027": "30 February 2027 is not a date",
        "2027-02-30": "30 February 2027 is not a date",
        "29/02/2027": "29 February 2027 is not a date",
        "01/13/2027": "13 is not a month: the month is a number from 1 to 12",
        "1 Aprile 2027": "'Aprile' is not a month: write it in full, such as April",
        "1 April 0227": "227 is not a year from 2000 to 2100: enter it in full, such as 2027",
        "next week": "'next week' is not a date: write it as 1 April 2027, 01/04/2027 or 2027-04-01",
    }
    for typed, message in cases.items():
        with pytest.raises(AnswerError) as info:
            parse_answer(question, typed)
        assert str(info.value) == message, typed
    assert parse_answer(question, "29/02/2028") == dt.date(2028, 2, 29)  # a leap year


def test_date_form_fields_day_month_year(library):
    question = q(library, "document.effective_date")
    assert read_form_answer(question, {"day": "1", "month": "4", "year": "2027"}) == dt.date(2027, 4, 1)
    assert read_form_answer(question, {"day": "", "month": "", "year": ""}) is None  # optional: the build date
    cases = {
        ("30", "2", "2027"): "30 February 2027 is not a date",
        ("1", "", "2027"): "The date must include a month",
        ("", "4", ""): "The date must include a day and a year",
        ("1", "14", "2027"): "14 is not a month: the month is a number from 1 to 12",
        ("one", "4", "2027"): "Enter the date as numbers, for example 1 4 2027",
        ("1", "4", "27"): "The year must be 4 numbers, for example 2027",
    }
    for (day, month, year), message in cases.items():
        with pytest.raises(AnswerError) as info:
            read_form_answer(question, {"day": day, "month": month, "year": year})
        assert str(info.value) == message
    assert form_value(question, dt.date(2027, 4, 1)) == {"day": "1", "month": "4", "year": "2027"}
    assert describe_answer(question, dt.date(2027, 4, 1)) == "1 April 2027"  # the review screens, in words


def test_numbers_within_their_range(library):
    question = q(library, "document.review_months")
    assert parse_answer(question, "24") == 24
    for bad in ("40", "0", "twelve", "1.5"):
        with pytest.raises(AnswerError) as info:
            parse_answer(question, bad)
        assert str(info.value) == f"'{bad}' is not a whole number from 1 to 36"


def test_dash_leaves_an_optional_answer_blank_but_not_a_required_one(library):
    assert parse_answer(q(library, "comms.team"), "-") is None
    with pytest.raises(AnswerError) as info:
        parse_answer(q(library, "organisation.name"), "-")
    assert str(info.value) == "an answer is required here (some text)"


def test_typed_form_reads_back_as_the_same_answer_for_every_bundled_answer(library):
    for path in ALL_PROFILES:
        answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
        for qid, value in answers.values.items():
            if value is None:
                continue
            assert parse_answer(q(library, qid), typed_form(q(library, qid), value)) == value, (path.name, qid)


def test_answers_in_plain_english(library):
    assert describe_answer(q(library, "messaging.apps"), ["whatsapp", "sms"]) == "WhatsApp, SMS text messages"
    assert describe_answer(q(library, "training.induction"), True) == "Yes"
    assert describe_answer(q(library, "document.effective_date"), None) == "(blank: the date the policy is built)"


# --- what applies ------------------------------------------------------------------------------


def test_follow_ups_are_asked_only_where_they_apply(library):
    interview = Interview(library, build_date=BUILD_DATE)
    asked = [question.id for question in interview.applicable("messaging_video")]
    assert "messaging.apps" not in asked and "messaging.record_method" not in asked
    interview.answer("messaging.whatsapp", "keep_in_touch")
    asked = [question.id for question in interview.applicable("messaging_video")]
    assert asked.index("messaging.whatsapp") < asked.index("messaging.apps") < asked.index("messaging.record_method")


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.name)
def test_values_match_what_the_build_resolves(library, path):
    interview = Interview.from_profile(library, path, build_date=BUILD_DATE)
    draft = read_draft(path, library.questionnaire)
    resolved = resolve_answers(library.questionnaire, draft.given, library.nations, build_date=BUILD_DATE)
    assert interview.values() == resolved.values
    assert not interview.missing_required()
    # Unanswered questions are exactly the applicable ones the file leaves out.
    applicable = {question.id for s in interview.sections for question in interview.applicable(s.id)}
    assert {question.id for question in interview.unanswered()} == applicable - set(draft.given)


def test_partial_profile_lists_what_is_still_to_answer(library, write_profile):
    profile = base_profile()
    del profile["organisation"]["name"]
    del profile["training"]
    interview = interview_for(library, write_profile, profile)
    complete = interview_for(library, write_profile, base_profile())
    assert [question.id for question in interview.missing_required()] == ["organisation.name"]
    assert not complete.missing_required()
    newly_unanswered = [question.id for question in interview.unanswered() if question not in complete.unanswered()]
    assert newly_unanswered == [
        "organisation.name",
        *[qid for qid in library.questionnaire.questions if qid.startswith("training.")],
    ]


def test_answers_that_no_longer_apply_are_flagged_and_left_out_of_a_final_save(library, write_profile):
    profile = with_answers(base_profile(), messaging__whatsapp="not_allowed")
    interview = interview_for(library, write_profile, profile)
    assert "messaging.apps" in interview.not_applicable()
    assert "messaging.apps" not in interview.profile_answers(final=True)
    assert "messaging.apps" in interview.profile_answers(final=False)


def test_keys_that_are_not_questions_and_values_no_longer_allowed_are_flagged(library, write_profile):
    profile = with_answers(base_profile(), messaging__whatsapp="sometimes")
    profile["messaging"]["read_receipts"] = True
    path = write_profile(profile, "old.yaml")
    interview = Interview.from_profile(library, path, build_date=BUILD_DATE)
    messages = [flag.message.split("old.yaml", 1)[1] for flag in interview.flags]
    assert any(
        m.endswith(
            ": 'messaging.read_receipts' is not a question in the questionnaire; it will be left out when you save"
        )
        for m in messages
    ), messages
    assert any(
        m.endswith(
            ": the answer 'sometimes' to “May staff use WhatsApp or similar messaging apps with people who use services?” is not one of the options. "
            f"Choose one of: {WHATSAPP}; you will be asked again"
        )
        for m in messages
    ), messages
    assert "messaging.whatsapp" in [question.id for question in interview.unanswered()]
    # Saving before it is asked again keeps what the file had.
    assert interview.profile_answers(final=False)["messaging.whatsapp"] == "sometimes"


def test_questions_added_since_the_profile_was_written_are_marked_new(library, write_profile):
    questions = dict(library.questionnaire.questions)
    questions["data.retention"] = dataclasses.replace(questions["data.retention"], since="1.3")
    newer = dataclasses.replace(
        library, questionnaire=dataclasses.replace(library.questionnaire, questions=questions, version="1.3")
    )
    interview = interview_for(newer, write_profile, base_profile())
    assert interview.is_new(questions["data.retention"])
    assert not interview.is_new(questions["data.dpia_for_new_platforms"])


def test_offered_answer_is_the_current_one_else_the_default(library, write_profile):
    interview = interview_for(library, write_profile, base_profile())
    assert interview.offered(q(library, "messaging.apps")) == ["whatsapp", "sms"]
    fresh = Interview(library, build_date=BUILD_DATE)
    assert fresh.offered(q(library, "messaging.apps")) == ["whatsapp"]
    # A date that follows the build date is offered blank, so the profile keeps following it.
    assert fresh.offered(q(library, "document.effective_date")) is None
    fresh.answer("organisation.name", "Testham Council")
    assert fresh.offered(q(library, "organisation.short_name")) == "Testham Council"


def test_guidance_names_the_items_and_their_documents(library):
    guidance = Interview(library).guidance(q(library, "messaging.whatsapp"))
    assert [g.id for g in guidance] == ["LBWF-IG-KEEP-IN-TOUCH", "SWE-NUMBER-DISCLOSURE"]
    assert all(g.summary and g.document for g in guidance)


# --- gaps by section -----------------------------------------------------------------------------


def test_a_section_shows_the_gaps_its_answers_raise(library):
    interview = Interview(library, build_date=BUILD_DATE)
    interview.answer("messaging.whatsapp", "keep_in_touch")
    interview.answer("messaging.record_method", "none")
    ids = [w.id for w in interview.section_gaps("messaging_video")]
    assert "gap.messages-not-recorded" in ids
    assert all(w.id != "gap.messages-not-recorded" for w in interview.section_gaps("accounts_devices"))


def test_a_gap_waits_for_every_section_it_depends_on(library):
    interview = Interview(library, build_date=BUILD_DATE)
    interview.answer("accounts.dedicated", "with_manager_approval")
    # The emergency route is asked in a later section: no warning about it yet.
    assert "gap.no-emergency-route" not in [w.id for w in interview.section_gaps("accounts_devices")]
    assert "gap.no-emergency-route" in [w.id for w in interview.section_gaps("out_of_hours")]
    interview.answer("out_of_hours.emergency_route", "the Emergency Duty Team")
    assert "gap.no-emergency-route" not in [w.id for w in interview.section_gaps("out_of_hours")]
    # Going back to a section from the review judges it on everything answered.
    every = [s.id for s in interview.sections]
    interview.answer("out_of_hours.emergency_route", None)
    assert "gap.no-emergency-route" in [w.id for w in interview.section_gaps("accounts_devices", every)]


def test_all_gaps_match_the_build_for_a_complete_profile(library):
    from policy_builder.pipeline.gaps import find_gaps

    path = PROFILES / "small-charity-wales.yaml"
    interview = Interview.from_profile(library, path, build_date=BUILD_DATE)
    answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert [w.id for w in interview.gaps()] == [w.id for w in find_gaps(library, answers)]


def test_gaps_before_the_required_answers_skip_rules_that_need_them(library):
    interview = Interview(library, build_date=BUILD_DATE)
    ids = [w.id for w in interview.gaps()]
    assert "gap.no-approver" in ids  # judged on defaults
    assert "gap.carers-not-trained" not in ids  # needs organisation.services, not answered yet


# --- saving profiles (profile.dump_profile / save_profile) -------------------------------------------


def typed(library, path):
    draft = read_draft(path, library.questionnaire)
    return {qid: cast_answer(q(library, qid), raw) for qid, raw in draft.given.items()}


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.name)
def test_unchanged_answers_write_the_file_back_byte_for_byte(library, path):
    text = path.read_text(encoding="utf-8")
    assert dump_profile(typed(library, path), library.questionnaire, existing=text) == text


def test_an_edit_keeps_comments_order_and_blank_lines(library, tmp_path):
    path = tmp_path / "council.yaml"
    original = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    answers = typed(library, path)
    answers["messaging.whatsapp"] = "permitted"
    answers["training.refresher_months"] = 12
    del answers["contacts.ripa"]
    save_profile(path, answers, library.questionnaire, library.nations)
    before, after = original.splitlines(), path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=False) if a != b]
    assert after[:3] == before[:3]  # the opening comment
    assert "  whatsapp: permitted" in after
    assert "  refresher_months: 12   # no refresher training yet: the gap report flags it" in after
    assert not any("ripa:" in line for line in after)
    assert len(after) == len(before) - 1
    assert len([line for line in after if not line.strip()]) == len([line for line in before if not line.strip()])
    assert changed  # sanity: the diff is real
    answers_back = load_profile(path, library.questionnaire, library.nations)
    assert answers_back["messaging.whatsapp"] == "permitted"


def test_a_draft_saved_again_and_again_is_written_as_if_each_save_read_the_file_afresh(library, tmp_path):
    """save_draft keeps the parse of what it wrote for the next save (profile_edit._parsed): the drafts
    it writes must be those a save that parses the file each time writes, comments and layout and all."""
    import datetime as dt

    from policy_builder.pipeline import profile_edit
    from policy_builder.pipeline.profile_edit import save_draft

    example = PROFILES / "example-council.yaml"
    steps = [
        {"messaging.whatsapp": "permitted"},
        {"training.refresher_months": 12},
        {"contacts.ripa": None},  # taken out
        {"organisation.short_name": "yes"},  # text that PyYAML would read as true unless quoted
        {"messaging.whatsapp": "not_allowed", "organisation.short_name": "# not a comment"},
        {"contacts.ripa": typed(library, example)["contacts.ripa"]},  # put back, in questionnaire order
    ]

    def drafts(keep_parses: bool) -> list[str]:
        folder = tmp_path / ("kept" if keep_parses else "afresh") / "drafts"
        folder.mkdir(parents=True)
        path, answers, texts = folder / "council.yaml", typed(library, example), []
        for number, step in enumerate(steps):
            if not keep_parses:
                profile_edit._PARSED.clear()
            answers.update(step)
            answers = {qid: value for qid, value in answers.items() if value is not None}
            save_draft(
                path,
                answers,
                library.questionnaire,
                of=example,
                based_on=example if number == 0 else None,
                saved=dt.datetime(2026, 12, 2, 6, 30),
            )
            texts.append(path.read_text(encoding="utf-8"))
        return texts

    kept, afresh = drafts(keep_parses=True), drafts(keep_parses=False)
    assert kept == afresh
    assert "  whatsapp: not_allowed" in kept[-1] and "ripa:" not in kept[3] and "ripa:" in kept[-1]


def test_a_new_profile_is_laid_out_in_questionnaire_order_and_builds(library, tmp_path):
    path = tmp_path / "new.yaml"
    answers = {
        "organisation.name": "Testham Council",
        "organisation.nation": "wales",
        "organisation.type": "voluntary",
        "organisation.services": ["adults"],
        "document.owner": "Head of Service",
        "document.effective_date": dt.date(2026, 12, 1),
        "messaging.whatsapp": "keep_in_touch",
        "messaging.apps": ["whatsapp", "signal"],
        "comms.team": None,
    }
    save_profile(path, answers, library.questionnaire, library.nations, header="Answers for Testham Council.")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Answers for Testham Council.\nschema: 1\n\norganisation:\n  name: Testham Council\n")
    assert "  apps: [whatsapp, signal]\n" in text
    assert "  effective_date: 2026-12-01\n" in text
    assert "\ncomms:\n  team:\n" in text
    loaded = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert build_policy(library, loaded).organisation == "Testham Council"


@pytest.mark.parametrize("text", ["yes", "No", "on", "1.0", "12", "null", "~", "2026-12-01", " padded ", "a: b", "#1"])
def test_text_answers_that_look_like_other_yaml_values_come_back_as_text(library, tmp_path, text):
    path = tmp_path / "p.yaml"
    answers = {"organisation.name": "Testham Council", "comms.team": text}
    save_profile(path, answers, library.questionnaire, library.nations, complete=False)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["comms"]["team"] == text


def test_questionnaire_version_is_recorded_when_asked(library, tmp_path):
    path = tmp_path / "p.yaml"
    answers = typed(library, PROFILES / "strict-trust.yaml")
    save_profile(path, answers, library.questionnaire, library.nations, questionnaire_version="1.0")
    assert "schema: 1\nquestionnaire: '1.0'\n" in path.read_text(encoding="utf-8")


def test_a_profile_that_cannot_build_is_not_written_over_the_old_one(library, tmp_path):
    path = tmp_path / "council.yaml"
    original = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    answers = typed(library, path)
    del answers["organisation.name"]
    with pytest.raises(ProfileError) as info:
        save_profile(path, answers, library.questionnaire, library.nations)
    assert "organisation.name: an answer is required" in str(info.value)
    assert path.read_text(encoding="utf-8") == original
    # Saving it as unfinished is allowed, and it reads back for resuming.
    save_profile(path, answers, library.questionnaire, library.nations, complete=False)
    assert "organisation.name" not in read_draft(path, library.questionnaire).given


# --- reading a whole section's form at once (the browser wizard) -----------------------------------------


def test_form_answers_are_read_by_type(library):
    from policy_builder.interview.session import read_form_answer

    assert read_form_answer(q(library, "messaging.whatsapp"), "permitted") == "permitted"
    assert read_form_answer(q(library, "training.induction"), "yes") is True
    assert read_form_answer(q(library, "training.induction"), "no") is False
    assert read_form_answer(q(library, "document.effective_date"), " 2026-12-01 ") == dt.date(2026, 12, 1)
    assert read_form_answer(q(library, "document.effective_date"), "") is None  # blank: the build date
    assert read_form_answer(q(library, "document.review_months"), "24") == 24
    assert read_form_answer(q(library, "organisation.services"), ["adults", "children"]) == ["adults", "children"]


def test_form_multi_choice_keeps_the_profiles_order_and_adds_new_ticks_after(library):
    from policy_builder.interview.session import read_form_answer

    apps = q(library, "messaging.apps")
    # A browser sends ticked boxes in page order; the profile said [sms, whatsapp] and its order survives.
    assert read_form_answer(apps, ["whatsapp", "signal", "sms"], current=["sms", "whatsapp"]) == [
        "sms",
        "whatsapp",
        "signal",
    ]


@pytest.mark.parametrize(
    ("qid", "raw", "message"),
    [
        ("organisation.name", "  ", "Enter an answer"),
        ("organisation.nation", "", "Choose one of the options"),
        ("students.placements", "", "Choose Yes or No"),
        ("organisation.services", [], "Select at least one option"),
        ("messaging.apps", [], "Select at least one option"),
        ("messaging.whatsapp", "sometimes", f"'sometimes' is not one of the options. Choose one of: {WHATSAPP}"),
        (
            "organisation.services",
            ["children", "pets"],
            "'pets' is not one of the options. Choose from: Children and families, Adults",
        ),
        ("training.induction", "maybe", "Select yes or no"),
        (
            "document.effective_date",
            "31/11/2026",
            "31 November 2026 is not a date",
        ),
        ("document.review_months", "99", "Enter a whole number from 1 to 36 (you entered '99')"),
        ("document.review_months", "ten", "Enter a whole number from 1 to 36 (you entered 'ten')"),
    ],
)
def test_form_answers_that_will_not_do_say_what_to_enter(library, qid, raw, message):
    from policy_builder.interview.session import read_form_answer

    with pytest.raises(AnswerError) as info:
        read_form_answer(q(library, qid), raw)
    assert str(info.value) == message


def test_form_value_is_the_inverse_of_reading_a_form(library):
    from policy_builder.interview.session import form_value, read_form_answer

    for qid, value in [
        ("training.induction", True),
        ("messaging.whatsapp", "keep_in_touch"),
        ("document.effective_date", dt.date(2026, 12, 1)),
        ("document.review_months", 18),
        ("messaging.apps", ["sms", "signal"]),
        ("organisation.name", "Eastbrook"),
    ]:
        assert read_form_answer(q(library, qid), form_value(q(library, qid), value), value) == value


def test_a_section_form_is_checked_at_once_and_kept_only_when_nothing_is_wrong(library):
    interview = Interview(library, build_date=BUILD_DATE)
    form = interview.take_section(
        "organisation",
        {
            "organisation.name": "",
            "organisation.nation": "england",
            "organisation.type": "",
            "organisation.services": [],
        },
    )
    assert set(form.errors) == {"organisation.name", "organisation.type", "organisation.services"}
    assert form.values == {"organisation.nation": "england"}
    assert interview.answers == {}, "nothing is kept while something is wrong"
    form = interview.take_section(
        "organisation",
        {
            "organisation.name": "Eastbrook",
            "organisation.short_name": "",
            "organisation.nation": "england",
            "organisation.type": "local_authority",
            "organisation.services": ["children"],
            "organisation.fostering_adoption": "no",
        },
    )
    assert form.complete
    assert interview.answers["organisation.name"] == "Eastbrook"
    assert interview.answers["organisation.short_name"] is None  # blank: defaults to the name


def test_a_section_form_names_the_follow_ups_its_answers_bring_in(library):
    interview = Interview(library, build_date=BUILD_DATE)
    shown = ["messaging.whatsapp", "messaging.record_system", "video.one_time_links", "video.platforms"]
    given = {qid: "" for qid in shown} | {"messaging.whatsapp": "keep_in_touch", "video.platforms": ["teams"]}
    given["video.one_time_links"] = "yes"
    form = interview.take_section("messaging_video", given)
    assert not form.errors
    assert [question.id for question in form.follow_ups] == [
        "messaging.apps",
        "messaging.number_hidden",
        "messaging.record_method",
        "messaging.auto_delete",
        "messaging.group_chats",
        "messaging.desktop_apps",
    ]
    assert not form.complete
    assert interview.answers["messaging.whatsapp"] == "keep_in_touch", "the answers given are kept"


def test_a_section_form_ignores_mistakes_in_questions_that_no_longer_apply(library):
    interview = Interview(library, build_date=BUILD_DATE)
    interview.answer("messaging.whatsapp", "permitted")
    form = interview.read_section("messaging_video", {"messaging.whatsapp": "not_allowed", "messaging.apps": []})
    assert form.errors == {}
    assert "messaging.apps" not in [
        question.id for question in interview.trying(form.values).applicable("messaging_video")
    ]
    assert interview.answers["messaging.whatsapp"] == "permitted", "reading a form changes nothing"


def test_gaps_so_far_wait_for_every_section_a_rule_depends_on(library):
    interview = Interview(library, build_date=BUILD_DATE)
    interview.answer("organisation.name", "Eastbrook")
    interview.answer("messaging.whatsapp", "keep_in_touch")
    order = [s.id for s in interview.sections]
    early = {w.id for w in interview.gaps_so_far(order[:4])}
    assert "gap.no-emergency-route" not in early, "the out-of-hours section has not been reached"
    assert "gap.no-emergency-route" in {w.id for w in interview.gaps_so_far(order[:5])}
    assert [w.id for w in interview.gaps_so_far(order)] == [w.id for w in interview.gaps()]
    assert interview.gaps_so_far([]) == []


# --- commands printed for the person to run again -----------------------------------------------------


def test_printed_commands_run_as_printed(tmp_path, monkeypatch):
    import sys

    from policy_builder.interview.session import program

    bin_dir = tmp_path / "my venv" / "bin"
    bin_dir.mkdir(parents=True)
    exe = bin_dir / "policy-builder"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(exe), "wizard"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert program() == f"'{exe}'", "not on PATH: the full path, quoted for the shell"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert program() == "policy-builder", "on PATH: the short name works"
    monkeypatch.chdir(bin_dir)
    monkeypatch.setattr(sys, "argv", ["./policy-builder", "wizard"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert program() == f"'{exe}'", "started as ./policy-builder: the full path works from any folder"


def test_a_new_policys_length_is_counted_from_the_questionnaire(library):
    from policy_builder.interview.session import new_policy_length

    length = new_policy_length(library)
    fresh = Interview(library, build_date=BUILD_DATE)
    asked = [q for s in fresh.sections for q in fresh.applicable(s.id)]
    assert length.questions == len(asked) and length.sections == len(library.questionnaire.sections)
    # A minute for every 3 or 4 questions: the fewest asked at 4 a minute, the most that can be asked at 3.
    assert length.minutes == (-(-len(asked) // 4), -(-length.most // 3))
    assert length.most > length.questions, "follow-up questions some answers bring in"
    assert length.most <= len(library.questionnaire.questions)
    assert (
        f"There are {len(asked)} questions in {length.sections} sections, up to {length.most} "
        "if your answers bring in follow-up questions"
    ) in length.sentence()
    assert "about 4" not in length.sentence().split(":")[0]
    # What to look up first: the record system, the emergency route, procedure names and contacts.
    prompts = library.questionnaire.questions
    for qid in ("messaging.record_system", "out_of_hours.emergency_route", "staff.code_of_conduct"):
        assert prompts[qid].prompt in length.to_hand, qid
    assert any(prompt == prompts["contacts.information_governance"].prompt for prompt in length.to_hand)
    # Not what the person filling in knows already: their organisation's name, the policy's owner.
    assert prompts["organisation.name"].prompt not in length.to_hand
    assert prompts["document.owner"].prompt not in length.to_hand


def test_a_questionnaire_with_fewer_questions_is_said_to_be_shorter(library):
    from policy_builder.interview.session import new_policy_length

    questionnaire = library.questionnaire
    section = questionnaire.sections[-1].id
    kept = {qid: q for qid, q in questionnaire.questions.items() if q.section != section}
    smaller = dataclasses.replace(library, questionnaire=dataclasses.replace(questionnaire, questions=kept))
    assert new_policy_length(smaller).questions < new_policy_length(library).questions


def test_one_count_of_questions_everywhere(library):
    """Issue 17: the start screen, the loaded message and the review count the same questions."""
    from policy_builder.interview.session import count_questions

    fresh = Interview(library, build_date=BUILD_DATE)
    counted = count_questions(fresh)
    shown = sum(len(fresh.applicable(s.id)) for s in fresh.sections)  # what the review lists
    assert counted.applies == shown and counted.answered == 0
    # Follow-ups of WhatsApp: with the suggested answer (not allowed) they are not asked, but could be.
    follow_ups = [
        q for q in library.questionnaire.questions.values() if q.when == "messaging.whatsapp != 'not_allowed'"
    ]
    assert len(follow_ups) >= 3
    if fresh.offered(fresh.question("messaging.whatsapp")) == "not_allowed":
        assert not any(fresh.applies(q) for q in follow_ups)
    assert all(fresh.could_apply(q) for q in follow_ups)
    # Once WhatsApp is answered "not allowed", they can no longer apply, and "up to" shrinks.
    settled = fresh.trying({"messaging.whatsapp": "not_allowed"})
    assert not any(settled.could_apply(q) for q in follow_ups)
    assert count_questions(settled).most <= counted.most - len(follow_ups)
    assert count_questions(settled).answered == 1
    text = count_questions(settled).progress()
    assert text.startswith(f"1 of {count_questions(settled).applies} questions answered")


def test_a_passed_over_yes_or_no_question_is_not_a_blank_answer(library):
    """Issue 17: 'Do you host social work students on placement?' left unticked must not pass as answered."""
    interview = Interview(library, build_date=BUILD_DATE)
    section = interview.question("students.placements").section
    given = {
        q.id: form_value(q, interview.offered(q))
        or {"boolean": "yes", "choice": (q.choice_values or [""])[0]}.get(q.type, "12")
        for q in interview.applicable(section)
    }
    given["students.placements"] = ""
    form = interview.take_section(section, given)
    assert form.errors == {"students.placements": "Choose Yes or No"}
    assert "students.placements" not in interview.answers


# --- saving and summarising, shared by both wizards ---------------------------------------------


def test_gap_counts_are_counted_once_for_both_wizards(library):
    from policy_builder.interview.session import count_gaps

    interview = Interview.from_profile(library, PROFILES / "example-council.yaml", build_date=BUILD_DATE)
    warnings = interview.gaps()
    counts = interview.count_gaps()
    assert counts.total == len(warnings)
    assert (counts.high, counts.medium, counts.low) == tuple(
        sum(1 for w in warnings if w.severity == s) for s in ("high", "medium", "low")
    )
    assert counts.phrase() == f"{counts.high} high, {counts.medium} medium, {counts.low} low"
    assert counts.undecided == sum(1 for w in warnings if w.cause == "unanswered")
    answered = [dataclasses.replace(w, cause="answer") for w in warnings]
    assert count_gaps(answered[:1] + [dataclasses.replace(answered[1], cause="unanswered")]).undecided == 1
    assert interview.count_gaps([]).total == 0


def test_a_review_answer_says_given_missing_or_suggested(library):
    interview = Interview(library, build_date=BUILD_DATE)
    name = q(library, "organisation.name")
    assert interview.review_answer(name).kind == "missing"
    assert interview.review_answer(name).text == "Not answered yet"
    interview.answer("organisation.name", "Testshire County Council")
    assert (interview.review_answer(name).kind, interview.review_answer(name).text) == (
        "answered",
        "Testshire County Council",
    )
    months = q(library, "document.review_months")
    assert interview.review_answer(months).kind == "default"


@pytest.mark.parametrize(("by", "change"), [("wizard", "wizard --profile"), ("browser", "serve (then choose")])
def test_saving_heads_the_profile_with_the_commands_of_the_wizard_that_wrote_it(library, tmp_path, by, change):
    interview = Interview.from_profile(library, PROFILES / "example-council.yaml", build_date=BUILD_DATE)
    path = interview.save(tmp_path / "my council.yaml", final=True, by=by)
    text = path.read_text(encoding="utf-8")
    assert change in text and "'" + str(tmp_path / "my council.yaml") in text, "the path is quoted for a shell"
    read = [load_profile(p, library.questionnaire, library.nations) for p in (path, PROFILES / "example-council.yaml")]
    assert read[0].values == read[1].values
    draft = interview.new_draft_file(tmp_path, "My Council")
    assert draft == tmp_path / "drafts" / "my-council.yaml"
    interview.keep_draft(draft, of=path)
    assert read_draft(draft, library.questionnaire).given
