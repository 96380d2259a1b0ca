"""The preview of what each answer puts in the policy (policy_builder/preview.py), and `?` in the terminal wizard."""

from __future__ import annotations

import dataclasses
import re
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, PROFILES, base_profile, with_answers

from policy_builder.cli import CliContext, main
from policy_builder.interview import preview as preview_module
from policy_builder.interview.preview import (
    PLACEHOLDER,
    SectionPreviews,
    plain_text,
    preview_question,
    preview_section,
)
from policy_builder.interview.session import Interview
from policy_builder.pipeline.assemble import build_policy

EXAMPLE = PROFILES / "example-council.yaml"
MARKDOWN_SOURCE = re.compile(r"\*\*|\{\{|\{%|\\[\[\]*_]|\]\(")


def example(library) -> Interview:
    return Interview.from_profile(library, EXAMPLE, build_date=BUILD_DATE)


def policy_text(library, answers_for, clause_id: str, **answers) -> str:
    """A clause's words in the policy built for the example council with ``answers``: the preview must match it."""
    policy = build_policy(library, answers_for(with_answers(base_profile(), **answers)))
    clause = next(c for s in policy.sections for c in s.clauses if c.id == clause_id)
    return plain_text(clause.text)


def choice(preview, label_start: str):
    return next(c for c in preview.choices if c.label.startswith(label_start))


def test_each_choice_shows_the_clause_it_brings_in_worded_as_the_policy_words_it(library, answers_for):
    interview = example(library)
    preview = preview_question(interview, library.questionnaire.questions["messaging.whatsapp"])
    never, keep_in_touch, any_purpose = preview.choices
    texts = {c.label: " ".join(p.text for p in c.passages) for c in preview.choices}
    assert len(set(texts.values())) == 3, "each choice brings in different wording"
    # The clause each choice chooses, word for word as the built policy has it (up to the preview's cut).
    permitted = policy_text(library, answers_for, "messaging.permitted", messaging__whatsapp="permitted")
    assert permitted[:150] in texts[any_purpose.label]
    assert permitted[:150] not in texts[keep_in_touch.label]
    banned = policy_text(library, answers_for, "messaging.not-allowed", messaging__whatsapp="not_allowed")
    assert banned[:150] in texts[never.label]
    # What a choice takes out is named too, and the answer given now is marked.
    assert "Messaging apps for work" in any_purpose.passages[0].title or any(
        p.title == "Messaging apps for work" for p in any_purpose.passages
    )
    assert any("keeping in touch" in title for title in any_purpose.leaves_out)
    assert [c.current for c in preview.choices] == [False, True, False]  # the example keeps in touch only


def test_yes_and_no_questions_and_follow_ups(library):
    interview = example(library)
    preview = preview_question(interview, library.questionnaire.questions["messaging.group_chats"])
    yes, no = preview.choices
    assert yes.label == "Yes" and no.label == "No"
    assert any("group chat" in p.text for p in yes.passages)
    assert any(p.title == "No group chats" for p in no.passages) and "No group chats" in yes.leaves_out


def test_a_multi_choice_option_shows_the_sentence_that_names_it(library):
    interview = example(library)
    preview = preview_question(interview, library.questionnaire.questions["messaging.apps"])
    signal = choice(preview, "Signal")
    assert not signal.current
    assert any("WhatsApp and Signal" in p.text and not p.whole for p in signal.passages), signal


def test_a_question_answered_in_words_shows_the_sentences_that_print_it(library):
    interview = example(library)
    route = library.questionnaire.questions["out_of_hours.emergency_route"]
    preview = preview_question(interview, route)
    assert preview.in_words and len(preview.choices) == 1
    assert all(interview.answers[route.id] in p.text for p in preview.choices[0].passages)
    typed = preview_question(interview, route, typed="the Night Duty Team on 0300 111 2222")
    assert any("the Night Duty Team on 0300 111 2222" in p.text for p in typed.choices[0].passages)
    # Blank: a placeholder stands where the answer will go.
    interview.answers["comms.team"] = None
    blank = preview_question(interview, library.questionnaire.questions["comms.team"])
    assert any(PLACEHOLDER in p.text for p in blank.choices[0].passages)


def test_previews_are_plain_text_short_and_work_before_required_answers(library):
    for interview in (Interview(library, build_date=BUILD_DATE), example(library)):
        for section in library.questionnaire.sections:
            for qid, preview in preview_section(interview, section.id).items():
                for c in preview.choices:
                    for passage in c.passages:
                        assert not MARKDOWN_SOURCE.search(passage.text), (qid, passage.text)
                        assert len(passage.text) <= preview_module.MAX_CHARS + 2, qid
                    assert len(c.passages) <= preview_module.MAX_PASSAGES
    # A new policy (no name, no nation yet) still previews its stance questions.
    fresh = preview_question(
        Interview(library, build_date=BUILD_DATE), library.questionnaire.questions["messaging.whatsapp"]
    )
    assert not fresh.empty


@pytest.mark.parametrize(
    "qid", ["organisation.nation", "messaging.whatsapp", "document.effective_date", "messaging.apps"]
)
def test_rendering_only_what_can_differ_loses_nothing(library, monkeypatch, qid):
    """The speed-up (render only clauses that use a changed answer) gives the same preview as rendering everything."""
    interview = example(library)
    question = library.questionnaire.questions[qid]
    quick = preview_question(interview, question)
    monkeypatch.setattr(preview_module, "_depends", lambda names, changed: True)
    assert preview_question(interview, question) == quick


def test_a_section_previews_quickly(library):
    interview = example(library)
    preview_section(interview, "messaging_video")  # templates compiled once
    start = time.perf_counter()
    for section in library.questionnaire.sections:
        preview_section(interview, section.id)
    # Generous for a shared CI machine: about a second for all eleven pages on an idle laptop.
    assert time.perf_counter() - start < 15


def fresh_previews(interview: Interview, section_id: str) -> dict:
    """A section's previews made afresh, with nothing kept."""
    return {q.id: preview_question(interview, q) for q in interview.library.questionnaire.in_section(section_id)}


def test_a_section_shown_again_with_the_same_answers_is_not_previewed_again(library):
    kept = SectionPreviews.of(library)
    kept.clear()
    interview = example(library)
    first = preview_section(interview, "messaging_video")
    made = kept.made
    again = preview_section(example(library), "messaging_video")  # the same answers in another interview
    assert kept.made == made, "found kept, not made again"
    assert again == first == fresh_previews(interview, "messaging_video")
    again.clear()  # what a caller does with its copy leaves the kept one alone
    assert preview_section(interview, "messaging_video") == first


@pytest.mark.parametrize(
    ("qid", "value", "section_id"),
    [
        ("messaging.whatsapp", "not_allowed", "messaging_video"),  # an answer on the page
        ("organisation.nation", "wales", "staff"),  # an answer on another page that words this one otherwise
        ("comms.team", None, "accounts_devices"),  # left blank on purpose: answered, so no stand-in is shown
    ],
)
def test_a_kept_preview_is_not_used_once_an_answer_changes(library, qid, value, section_id):
    SectionPreviews.of(library).clear()
    interview = example(library)
    before = preview_section(interview, section_id)
    assert interview.answers.get(qid, "unanswered") != value
    interview.answers[qid] = value  # changed in place, as the browser wizard's draft changes
    after = preview_section(interview, section_id)
    assert after == fresh_previews(interview, section_id)
    assert after != before
    del interview.answers[qid]  # not answered at all is yet another state
    assert preview_section(interview, section_id) == fresh_previews(interview, section_id)


def test_kept_previews_follow_the_build_date_and_the_library(library):
    interview = Interview(library, build_date=BUILD_DATE)  # a new policy: a blank date stands for the build date
    SectionPreviews.of(library).clear()
    first = preview_section(interview, "document")
    later = dataclasses.replace(interview, build_date=BUILD_DATE.replace(year=BUILD_DATE.year + 1))
    again = preview_section(later, "document")
    assert again == fresh_previews(later, "document")
    assert again != first
    # A library loaded again, or changed by copy, has previews of its own.
    other = dataclasses.replace(library)
    assert SectionPreviews.of(other) is not SectionPreviews.of(library)
    assert SectionPreviews.of(library) is SectionPreviews.of(library)


def test_kept_previews_are_bounded_least_recently_used_first():
    kept = SectionPreviews(size=2)
    kept.put("a", {})
    kept.put("b", {})
    assert kept.get("a") == {}  # used: now the most recent
    kept.put("c", {})
    assert kept.get("b") is None and kept.get("a") == {} and kept.get("c") == {}


def test_kept_previews_are_safe_across_the_web_apps_threads(library):
    SectionPreviews.of(library).clear()
    interview = example(library)
    sections = ["organisation", "messaging_video", "document"]
    expected = {s: fresh_previews(interview, s) for s in sections}
    results: list[tuple[str, dict]] = []
    failures: list[BaseException] = []

    def show(section_id: str) -> None:
        try:
            for _ in range(3):
                results.append((section_id, preview_section(example(library), section_id)))
        except BaseException as exc:  # noqa: BLE001 - reported below, from the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=show, args=(sections[i % 3],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(results) == 18
    assert all(previews == expected[section_id] for section_id, previews in results)


# --- the terminal wizard ---------------------------------------------------------------------------------


def test_question_mark_in_the_terminal_shows_what_each_answer_puts_in_the_policy(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["wizard"], input="Testham Council\n\n?\n", obj=CliContext(loaded=library), catch_exceptions=False
    )
    output = " ".join(result.output.split())
    heading = "What each answer puts in the policy, with your answers so far:"
    assert heading in output
    output = output[output.index(heading) :]
    # 1.3 is the nation: each nation's regulator, from the library's nation facts, under its own choice.
    england = output.index("1 England")
    wales = output.index("2 Wales")
    scotland = output.index("3 Scotland")
    assert england < wales < scotland
    assert "Social Work England" in output[england:wales]
    assert "Social Care Wales" in output[wales:scotland] and "Social Work England" not in output[wales:scotland]
    assert "SWE-STANDARDS" not in output, "guidance ids are for power users"
    assert not MARKDOWN_SOURCE.search(output)


def test_show_ids_shows_guidance_ids_to_power_users(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main,
        ["wizard", "--show-ids"],
        input="Testham Council\n\n?\n",
        obj=CliContext(loaded=library),
        catch_exceptions=False,
    )
    assert "SWE-STANDARDS" in result.output


def test_an_emergency_route_that_names_999_is_not_followed_by_a_second_999(library, answers_for):
    """Issue 17 item 7: "...or 999 in an emergency for urgent concerns, or 999 in an emergency"."""
    from policy_builder.render.summary import render_handout_markdown, staff_summary

    route = "the Emergency Duty Team on 0300 123 4567, or 999 in an emergency for urgent concerns"
    answers = answers_for(
        with_answers(base_profile(), out_of_hours__emergency_route=route, accounts__dedicated="with_manager_approval")
    )
    policy = build_policy(library, answers)
    texts = [plain_text(c.text) for s in policy.sections for c in s.clauses]
    texts += [plain_text(c.text) for s in policy.guide for c in s.clauses]
    texts.append(plain_text(render_handout_markdown(staff_summary(library, policy))))
    sentences = [s for text in texts for s in re.split(r"(?<=[.;])\s+", text)]
    assert any(route in s for s in sentences)
    assert not [s for s in sentences if s.count("999") > 1]
    # Without 999 in the answer, the policy adds it.
    plain = build_policy(library, answers_for(base_profile()))
    emergency = next(c for s in plain.sections for c in s.clauses if c.id == "out-of-hours.emergency-route")
    assert "or 999 in an emergency" in emergency.text


# --- issue 17: what a fresh-eyes manager trial found -------------------------------------------------------


def test_a_list_is_shown_as_lines_and_cut_only_between_items():
    from policy_builder.interview.preview import _shorten, first_sentences

    text = plain_text("Staff must not post about:\n\n- religious belief\n- political opinion\n- sexual orientation\n")
    assert text == "Staff must not post about:\n• religious belief\n• political opinion\n• sexual orientation"
    cut = _shorten(text, 60)
    assert cut.split("\n")[:2] == ["Staff must not post about:", "• religious belief"]
    assert cut.endswith("… and 2 more") or cut.endswith("… and 1 more")
    assert all(line.startswith(("Staff", "• ", "…")) for line in cut.split("\n")), "never half an item"
    long = "word " * 100
    assert _shorten(long.strip(), 50).endswith(" …") and "wor …" not in _shorten(long.strip(), 50)
    assert first_sentences("One. Two. Three. Four.") == "One. Two. …"


def test_an_unanswered_answer_in_words_is_a_stand_in_never_a_default_that_reads_as_fact(library):
    """Issue 17: 'emergencies go to the local out-of-hours social care service' before the route was given."""
    from policy_builder.interview.preview import answer_to

    interview = Interview(library, build_date=BUILD_DATE).trying(
        {
            "organisation.nation": "england",
            "organisation.type": "nhs_trust",
            "accounts.dedicated": "organisation_managed",
        }
    )
    preview = preview_question(interview, library.questionnaire.questions["accounts.monitoring_hours"])
    words = " ".join(p.text for c in preview.choices for p in c.passages)
    route = library.questionnaire.questions["out_of_hours.emergency_route"]
    assert answer_to(route) in words
    assert answer_to(route).startswith("[your answer to: Where should emergencies")
    assert "out-of-hours social care service" not in words
    # Once given, the answer itself is shown.
    given = interview.trying({"out_of_hours.emergency_route": "the trust's crisis line"})
    words = " ".join(p.text for c in preview_question(given, route_question(library)).choices for p in c.passages)
    assert "the trust's crisis line" in words


def route_question(library):
    return library.questionnaire.questions["accounts.monitoring_hours"]


def test_guidance_is_for_this_employers_nation(library):
    """Issue 17: an English council was shown the Scottish surveillance act."""
    question = library.questionnaire.questions["surveillance.powers"]
    fresh = Interview(library, build_date=BUILD_DATE)
    english = fresh.trying({"organisation.nation": "england", "organisation.type": "local_authority"})
    scottish = fresh.trying({"organisation.nation": "scotland", "organisation.type": "local_authority"})
    assert "LAW-RIPSA-SURVEILLANCE" not in [g.id for g in english.guidance(question)]
    assert "LAW-RIPSA-SURVEILLANCE" in [g.id for g in scottish.guidance(question)]
    assert "LAW-RIPSA-SURVEILLANCE" in [g.id for g in fresh.guidance(question)], "nation not known yet: all"


def test_the_terminal_preview_of_the_nation_fits_a_screen_and_double_question_mark_shows_all(library, tmp_path):
    """Issue 17: on 1.3 the four nations' wording scrolled far past a 40-line terminal."""
    typed = "Testham Council\n\n?\n??\n"
    result = CliRunner().invoke(
        main,
        ["wizard", "--save", str(tmp_path / "p.yaml")],
        input=typed,
        obj=CliContext(loaded=library),
        catch_exceptions=False,
        env={"COLUMNS": "100"},
    )
    output = result.output
    nation = library.questionnaire.questions["organisation.nation"].prompt
    after = output.split(nation, 1)[1]
    brief, full = after.split("Number: ?", 1)[1].split("Number: ??", 1)
    assert len(brief.strip().splitlines()) <= 40, brief
    assert "??" in brief, "says how to see the rest"
    assert len(full.strip().splitlines()) > len(brief.strip().splitlines())
    # Each choice's wording sits under it, with a blank line before the next choice.
    assert "\n\n     2  " in brief or "\n\n   2  " in brief
