"""`policy-builder wizard`, driven as a manager would drive it: scripted through CliRunner, and in a real terminal."""

import io
import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from click.testing import CliRunner
from conftest import PROFILES, ROOT, base_profile, default_ctrl_c, with_answers

from policy_builder.cli import CliContext, main
from policy_builder.interview.session import program
from policy_builder.pipeline.profile import load_profile
from policy_builder.pipeline.profile_edit import read_draft

EXAMPLE = PROFILES / "example-council.yaml"
ANSI = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;\d+)*m")
QUESTION_HEADER = re.compile(r"^(\d+\.\d+)  (.+)$", re.MULTILINE)
REVIEW = "Review your answers"

# Two stances. Questions not listed are answered with Enter (the offered default).
STRICT = {
    "organisation.name": "Northfield Mental Health NHS Foundation Trust",
    "organisation.short_name": "Northfield Trust",
    "organisation.nation": "1",
    "organisation.type": "2",
    "organisation.services": "2",
    "organisation.fostering_adoption": "n",
    "document.owner": "Head of Social Work",
    "document.approved_by": "Trust Policy Approval Group",
    "document.version": "2.0",
    "document.effective_date": "2026-10-01",
    "document.review_months": "24",
    "accounts.dedicated": "1",
    "messaging.whatsapp": "1",
    "messaging.record_system": "RiO",
    "out_of_hours.emergency_route": "the Crisis Team on 0300 000 0000",
    "surveillance.viewing": "1",
    "staff.harassment_support": "n",
    "training.induction": "y",
    "training.refresher_months": "12",
    "comms.staff_may_post_about_work": "n",
    "contacts.information_governance": "the Trust Data Protection Officer",
}
# Follow-ups whose `when` is false for this stance: never asked.
STRICT_SKIPPED = {
    "accounts.monitoring_hours",
    "messaging.apps",
    "messaging.number_hidden",
    "messaging.record_method",
    "messaging.auto_delete",
    "messaging.group_chats",
    "messaging.desktop_apps",
    "surveillance.process_name",
    "surveillance.record_viewing",
    "staff.harassment_policy_name",
    "comms.disclaimer_required",
    "ai.tool_names",
    "ai.uses",
    "ai.dpia",
    "ai.how_people_told",
}
PERMISSIVE = {
    "organisation.name": "Cwm Family Support",
    "organisation.nation": "wales",
    "organisation.type": "3",
    "organisation.services": "1,2",
    "document.owner": "Service Manager",
    "accounts.dedicated": "2",
    "devices.work_phones": "2",
    "messaging.whatsapp": "3",
    "messaging.apps": "1,2,5",
    "messaging.record_method": "4",
    "messaging.auto_delete": "y",
    "messaging.group_chats": "y",
    "out_of_hours.contact": "3",
    "surveillance.viewing": "3",
    "surveillance.authorisation_process": "y",
    "surveillance.process_name": "the Safeguarding Viewing Procedure",
    "staff.harassment_support": "y",
    "staff.harassment_policy_name": "the Staff Safety Policy",
    "comms.disclaimer_required": "y",
    "ai.tools": "2",
    "ai.tool_names": "Magic Notes",
    "ai.uses": "1,2",
    "ai.dpia": "n",
}


def run(library, args, text="", **kwargs):
    return CliRunner().invoke(
        main, ["wizard", *map(str, args)], input=text, obj=CliContext(loaded=library), catch_exceptions=False, **kwargs
    )


def script(library, stance, skipped=frozenset()) -> list[str]:
    """One typed line per question asked, in questionnaire order, then Enter on the review screen."""
    lines = [stance.get(qid, "") for qid in library.questionnaire.questions if qid not in skipped]
    return [*lines, ""]


def flat(text: str) -> str:
    """Output with rich's line wrapping undone, for matching whole sentences."""
    return " ".join(text.split())


def asked_before_review(output: str) -> list[str]:
    """The numbers ("4.1") of the questions asked before the review screen."""
    return [m.group(1) for m in QUESTION_HEADER.finditer(output.split(REVIEW)[0])]


def before_review(output: str) -> str:
    return flat(output.split(REVIEW)[0])


def prompt_of(library, qid):
    return library.questionnaire.questions[qid].prompt


# --- whole runs -------------------------------------------------------------------------------------


def test_strict_stance_asks_only_what_applies_and_saves_the_answers(library, tmp_path):
    save = tmp_path / "northfield.yaml"
    lines = script(library, STRICT, STRICT_SKIPPED)
    result = run(library, ["--save", save], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    output = result.output
    sections = len(library.questionnaire.sections)
    assert f"Section 4 of {sections}: Messaging and video" in output
    assert len(asked_before_review(output)) == len(lines) - 1
    for qid in STRICT_SKIPPED:
        assert flat(prompt_of(library, qid)) not in flat(output), f"{qid} was asked"
    # Choices are shown by their labels, not their ids.
    assert "   2  Yes, but only to keep in touch" in output and "keep_in_touch" not in output
    assert REVIEW in output
    assert f"Saved {save}." in flat(output)
    assert not ANSI.search(output)  # not a terminal: no colour codes
    answers = load_profile(save, library.questionnaire, library.nations)
    assert answers["organisation.type"] == "nhs_trust"
    assert answers["organisation.services"] == ["adults"]
    assert answers["messaging.whatsapp"] == "not_allowed"
    assert answers["training.refresher_months"] == 12
    assert answers["document.effective_date"].isoformat() == "2026-10-01"
    saved = yaml.safe_load(save.read_text(encoding="utf-8"))
    assert "apps" not in saved["messaging"] and "monitoring_hours" not in saved["accounts"]
    assert saved["schema"] == 1


def test_permissive_stance_asks_follow_ups_shows_gaps_per_section_and_builds(library, tmp_path):
    save = tmp_path / "cwm.yaml"
    lines = script(library, PERMISSIVE, {"surveillance.powers"})
    result = run(library, ["--save", save, "--build", "--out", tmp_path / "out"], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    output = flat(result.output)
    assert len(asked_before_review(result.output)) == len(lines) - 1
    for qid in ("messaging.apps", "messaging.record_method", "surveillance.process_name", "accounts.monitoring_hours"):
        assert flat(prompt_of(library, qid)) in output
    # The accounts section's own gap is shown at the end of that section, with what to do.
    accounts_part = result.output.split("Section 4 of")[0].split("Section 3 of")[1]
    assert "Staff may hold dedicated work accounts, but there are no set hours" in flat(accounts_part)
    assert "What to do: Set the hours each dedicated account is monitored" in flat(accounts_part)
    messaging_part = result.output.split("Section 5 of")[0].split("Section 4 of")[1]
    assert "no set way is named for those messages to reach the case record" in flat(messaging_part)
    assert "Built the policy:" in output
    for name in ("social-media-policy.docx", "practice-guide.docx", "staff-summary.docx", "leaflet.docx"):
        assert (tmp_path / "out" / f"cwm-family-support-{name}").exists(), name
    # The gap report in Word too, as the browser offers it; the leaflet's reading level in words.
    report = tmp_path / "out" / "cwm-family-support-gap-report.docx"
    assert "cwm-family-support-gap-report.docx" in output
    assert any("no set way is named" in p.text for p in __import__("docx").Document(report).paragraphs)
    assert re.search(r"The leaflet is [a-z ]+ \(a reading age of about \d+\)\.", output)
    # Issue 17: no question, gap rule or guidance id anywhere the manager reads, nor in the gap report.
    ids = [*library.questionnaire.questions, *(rule.id for rule in library.gap_rules), *library.items]
    word = "\n".join(p.text for p in __import__("docx").Document(report).paragraphs)
    assert [i for i in ids if i in result.output or i in word] == []
    assert "Flesch" not in output and "grade" not in output
    answers = load_profile(save, library.questionnaire, library.nations)
    assert answers["organisation.nation"] == "wales"
    assert answers["messaging.apps"] == ["whatsapp", "signal", "sms"]
    assert answers["messaging.auto_delete"] is True
    assert answers["surveillance.process_name"] == "the Safeguarding Viewing Procedure"
    assert answers["ai.tools"] == "approved_only" and answers["ai.uses"] == ["meeting_notes", "drafting"]
    assert flat(prompt_of(library, "ai.how_people_told")) in output


def test_default_save_path_is_profiles_slug_and_an_existing_file_is_not_replaced_unasked(
    library, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    lines = script(library, STRICT, STRICT_SKIPPED)
    first = run(library, [], "\n".join(lines) + "\n")
    assert first.exit_code == 0, first.output
    assert "Saved profiles/northfield-trust.yaml." in first.output
    before = (tmp_path / "profiles/northfield-trust.yaml").read_text(encoding="utf-8")
    second = run(library, [], "\n".join([*lines, "n", ""]) + "\n")
    assert second.exit_code == 0, second.output
    assert "profiles/northfield-trust.yaml already exists." in second.output
    assert "Saved profiles/northfield-trust-2.yaml." in second.output
    assert (tmp_path / "profiles/northfield-trust.yaml").read_text(encoding="utf-8") == before


def test_back_goes_to_the_question_before_even_in_the_section_before(library, tmp_path):
    save = tmp_path / "northfield.yaml"
    ids = [qid for qid in library.questionnaire.questions if qid not in STRICT_SKIPPED]
    lines = [STRICT.get(qid, "") for qid in ids] + [""]
    owner = ids.index("document.owner")  # the first question of section 2
    last_of_section_1 = ids[owner - 1]
    lines[owner:owner] = ["back", "y"]  # back to section 1's last question, answered afresh, then on
    lines[1:1] = ["back", "Northfield Mental Health Trust"]  # at 1.2: back to 1.1, to mend the name
    result = run(library, ["--save", save], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    output = before_review(result.output)
    assert output.count(flat(prompt_of(library, "organisation.name"))) == 2
    assert output.count(flat(prompt_of(library, last_of_section_1))) == 2
    answers = load_profile(save, library.questionnaire, library.nations)
    assert answers["organisation.name"] == "Northfield Mental Health Trust"
    assert answers[last_of_section_1] is True
    assert answers["document.owner"] == "Head of Social Work"


def test_arrow_keys_from_a_terminal_without_line_editing_never_become_the_answer(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(library, [], "\x1b[ATestham\x1b[D\x1b[C Council\x1bOH\n\x1b[A\x1b[D\x1b[D\n")
    assert "Answer [Testham Council]:" in result.output
    draft = read_draft(tmp_path / "profiles/drafts/testham-council.yaml", library.questionnaire)
    assert draft.given["organisation.name"] == "Testham Council"
    assert draft.given["organisation.short_name"] == "Testham Council", "arrows then Enter keep the answer offered"


def test_back_at_the_very_first_question_says_there_is_none(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(library, [], "back\n")
    assert "There is no question before this one here." in flat(result.output)


def test_the_word_template_path_is_checked_when_typed(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    shutil.copy(ROOT / "templates" / "reference.docx", tmp_path / "templates" / "house.docx")
    (tmp_path / "notes.txt").write_text("not Word", encoding="utf-8")
    (tmp_path / "broken.dotx").write_bytes(b"not a zip")
    save = tmp_path / "answers" / "northfield.yaml"
    ids = [qid for qid in library.questionnaire.questions if qid not in STRICT_SKIPPED]
    lines = [STRICT.get(qid, "") for qid in ids] + [""]
    at = ids.index("document.reference_docx")
    lines[at : at + 1] = ["nowhere.docx", "notes.txt", "broken.dotx", "templates/house.docx"]
    result = run(library, ["--save", save, "--build", "--out", tmp_path / "out"], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    output = flat(result.output)
    assert "There is no file at 'nowhere.docx': check the spelling and the folder" in output
    assert "'notes.txt' is not a Word file: choose a Word document (.docx) or template (.dotx)" in output
    assert "'broken.dotx' cannot be used as the Word template: not a Word document or template" in output
    saved = yaml.safe_load(save.read_text(encoding="utf-8"))
    assert saved["document"]["reference_docx"] == "../templates/house.docx", "recorded from the profile's folder"
    assert (tmp_path / "out" / "northfield-trust-social-media-policy.docx").is_file()


# --- editing, resuming and updating a profile ------------------------------------------------------------


def test_editing_one_answer_takes_a_few_key_presses_and_keeps_the_rest_of_the_file(library, tmp_path):
    path = tmp_path / "council.yaml"
    original = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    keys = "1\n4.1\n3\n\n"  # review screen, question 4.1, option 3, save
    result = run(library, ["--profile", path], keys)
    assert result.exit_code == 0, result.output
    assert len(keys) == 9
    changed = [
        (a, b)
        for a, b in zip(original.splitlines(), path.read_text(encoding="utf-8").splitlines(), strict=True)
        if a != b
    ]
    assert changed == [("  whatsapp: keep_in_touch", "  whatsapp: permitted")]
    # The changed answer's gap is shown straight away.
    assert "Messaging apps may be used for any work purpose" in flat(result.output)


def test_review_can_go_back_to_a_whole_section(library, tmp_path):
    path = tmp_path / "council.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    section = [s.id for s in library.questionnaire.sections].index("training_students") + 1
    asked = [q for q in library.questionnaire.in_section("training_students")]
    lines = ["1", str(section), *["" for _ in asked], ""]
    lines[2 + [q.id for q in asked].index("training.refresher_months")] = "36"
    result = run(library, ["--profile", path], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "Number from 0 to 60 [0]: 36" in result.output  # the current answer was offered
    assert load_profile(path, library.questionnaire, library.nations)["training.refresher_months"] == 36


def test_save_keeps_a_draft_and_carries_on_then_resume(library, tmp_path):
    path = tmp_path / "later.yaml"
    organisation = [q.id for q in library.questionnaire.in_section("organisation")]
    lines = [PERMISSIVE.get(qid, "") for qid in organisation] + ["!save", "Head of Service"]
    result = run(library, ["--save", path], "\n".join(lines) + "\n")
    output = flat(result.output)
    draft = tmp_path / "drafts" / "cwm-family-support.yaml"
    assert "Saved your answers so far as a draft; " in output
    assert f"Carry on later with this command: {program()} wizard --profile {draft}" in output
    # !save carried on: the same question was asked again and answered.
    assert "Or carry on answering: Answer: Head of Service" in output
    # The input then ran out: the answers, the owner too, stay in the draft; the profile is not written.
    assert result.exit_code == 1
    assert (
        f"Stopped. Your answers so far are kept as a draft. Carry on with this command: {program()} wizard --profile {draft}"
        in output
    )
    assert not path.exists()
    saved = read_draft(draft, library.questionnaire)
    assert saved.given["organisation.name"] == "Cwm Family Support"
    assert saved.given["document.owner"] == "Head of Service"
    assert draft.read_text(encoding="utf-8").startswith("# policy-builder draft")

    # Resuming the draft: the menu's default answers what is left; the profile goes where --save said.
    resumed = run(library, ["--profile", draft], "\n" + "\n" * 80)
    assert resumed.exit_code == 0, resumed.output
    asked = asked_before_review(resumed.output)
    assert asked[0] == "2.2"  # the approver: the first question not answered before
    assert flat(prompt_of(library, "organisation.name")) not in before_review(resumed.output)
    answers = load_profile(path, library.questionnaire, library.nations)
    assert answers["organisation.name"] == "Cwm Family Support"
    assert answers["document.owner"] == "Head of Service"
    assert not draft.exists() and not draft.parent.exists(), "a finished profile needs its draft no more"
    assert "policy-builder draft" not in path.read_text(encoding="utf-8")


def test_only_new_asks_what_is_missing_and_flags_what_no_longer_applies(library, tmp_path, write_profile):
    profile = with_answers(base_profile(), messaging__whatsapp="not_allowed")
    del profile["training"]
    profile["messaging"]["read_receipts"] = True
    path = write_profile(profile, "older.yaml")
    result = run(library, ["--only-new", "--profile", path], "\n" * 40)
    assert result.exit_code == 0, result.output
    output = flat(result.output)
    assert "'messaging.read_receipts' is not a question in the questionnaire; it will be left out when you save" in (
        output
    )
    assert "These answers no longer apply and will be left out when you save:" in output
    assert "Which messaging apps are approved?" in output
    assert "messaging.apps:" not in output, "question ids are for power users (--show-ids)"
    asked = before_review(result.output)
    assert flat(prompt_of(library, "training.induction")) in asked
    assert flat(prompt_of(library, "messaging.whatsapp")) not in asked
    assert flat(prompt_of(library, "organisation.name")) not in asked
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    # Questions of fact have no default: passed over, they stay unanswered.
    assert saved["training"] == {"induction": None, "refresher_months": None, "carers": None}
    assert "read_receipts" not in saved["messaging"] and "apps" not in saved["messaging"]
    assert load_profile(path, library.questionnaire, library.nations)["messaging.whatsapp"] == "not_allowed"


def test_only_new_needs_a_profile(library):
    result = CliRunner().invoke(main, ["wizard", "--only-new"], obj=CliContext(loaded=library))
    assert result.exit_code == 2
    assert "--only-new needs --profile PATH" in result.output


def test_a_broken_profile_is_one_line_and_exit_2(library, write_profile):
    path = write_profile("schema: 1\norganisation: [oops\n", "broken.yaml")
    result = CliRunner().invoke(main, ["wizard", "--profile", str(path)], obj=CliContext(loaded=library))
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "broken.yaml:" in result.output
    assert "Traceback" not in result.output


# --- bad input, guidance, stopping ------------------------------------------------------------------------


def test_bad_answers_are_explained_and_asked_again(library, tmp_path):
    save = tmp_path / "p.yaml"
    lines = ["Testham Council", "", "7", "1", "9", "1", "1,2", "maybe", "n"]  # section 1, with two bad answers
    # section 2 (Enter leaves approver, the two 2.0.0 approval questions and version as they are)
    lines += ["", "Head of Service", "", "", "", "", "31/11/2026", "1 December 2026", "40", "12"]
    result = run(library, ["--save", save], "\n".join(lines) + "\n")
    output = flat(result.output)
    assert (
        "Number: 7 '7' is not one of the options. Choose one of: England, Wales, Scotland, Northern Ireland" in output
    )
    assert "(type a number from 1 to 4). Please try again. Number: 1" in output
    assert "'9' is not one of the options. Choose one of: " in output
    assert "(type a number from 1 to 5). Please try again." in output
    assert "'maybe' is not yes or no: type y or n. Please try again." in output
    assert "An answer is needed here: text." in output  # Enter on a required question with no answer yet
    assert "31 November 2026 is not a date. Please try again." in output
    assert "'40' is not a whole number from 1 to 36. Please try again." in output
    # The input ran out part-way: the profile is not written; the answers so far are kept as a draft.
    assert result.exit_code == 1
    draft = tmp_path / "drafts" / "testham-council.yaml"
    assert (
        f"Stopped. Your answers so far are kept as a draft. Carry on with this command: {program()} wizard --profile {draft}"
        in output
    )
    assert not save.exists()
    kept = read_draft(draft, library.questionnaire).given
    assert kept["organisation.name"] == "Testham Council" and kept["document.owner"] == "Head of Service"


def test_question_mark_shows_the_guidance(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(library, [], "Testham Council\n\n?\n")
    output = flat(result.output)
    assert "The guidance this question rests on:" in output
    assert "Social Work England" in output  # the guidance, in words; its id only with --show-ids
    assert "SWE-STANDARDS" not in output


class InterruptedInput(io.BytesIO):
    """Typed lines, then Ctrl-C."""

    def read1(self, size=-1):
        data = super().read1(size)
        if not data and size != 0:  # read(0) is click checking it is a binary stream
            raise KeyboardInterrupt
        return data

    read = read1


def test_ctrl_c_that_cannot_ask_keeps_a_draft_and_leaves_the_profile_alone(library, tmp_path):
    path = tmp_path / "council.yaml"
    original = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    result = run(library, ["--profile", path], InterruptedInput(b"2\nChanged Name\n"))
    assert result.exit_code == 1
    draft = tmp_path / "drafts" / "council.yaml"
    assert f"kept as a draft. Carry on with this command: {program()} wizard --profile {draft}" in flat(result.output)
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == original, "a finished profile is never overwritten by a draft"
    assert read_draft(draft, library.questionnaire).given["organisation.name"] == "Changed Name"
    text = draft.read_text(encoding="utf-8")
    assert "# policy-builder draft of: council.yaml" in text
    assert "# Example profile: an English London borough" in text, "the profile's comments are kept"

    # Next time, the wizard offers the changes before the profile.
    again = run(library, ["--profile", path], "\n1\n\n")
    assert again.exit_code == 0, again.output
    assert "Unfinished changes to" in flat(again.output) and "Carry on with those changes?" in again.output
    assert load_profile(path, library.questionnaire, library.nations)["organisation.name"] == "Changed Name"
    assert not draft.exists()


def test_a_new_wizard_offers_the_drafts_left_unfinished(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run(library, [], "Testham Council\n\n1\n1\n1\nn\n")  # section 1, then the input runs out
    assert first.exit_code == 1
    assert (tmp_path / "profiles/drafts/testham-council.yaml").is_file()
    second = run(library, [], "1\n3\nHead of Service\n")
    output = flat(second.output)
    assert "Unfinished answers were saved earlier:" in output
    # The draft by name and time in words, never its file (issue 17).
    assert "1 Testham Council (a new policy, saved today at " in output and "2 Start a new policy" in output
    assert "profiles/drafts" not in output.split("Start a new policy")[0]
    assert "Your answers saved as a draft: 6 of " in output
    assert "(new question)" not in output, "nothing is new in a draft started on this questionnaire"
    assert flat(prompt_of(library, "document.owner")) in output
    assert (
        read_draft(tmp_path / "profiles/drafts/testham-council.yaml", library.questionnaire).given["document.owner"]
        == "Head of Service"
    )


# --- a real terminal ----------------------------------------------------------------------------------------


@pytest.fixture
def spawn():
    """Start policy-builder in a real terminal (pexpect); every child is closed after the test, pass or fail."""
    children: list[pexpect.spawn] = []

    def start(args, cwd, **env):
        exe = Path(sys.executable).parent / "policy-builder"
        environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
        environment.update(TERM="xterm-256color", **env)
        child = pexpect.spawn(
            str(exe),
            list(map(str, args)),
            cwd=str(cwd),
            env=environment,
            encoding="utf-8",
            timeout=10,
            dimensions=(40, 100),
            preexec_fn=default_ctrl_c,
        )
        children.append(child)
        child.logfile_read = io.StringIO()
        child.delaybeforesend = 0.01
        return child

    try:
        yield start
    finally:
        for child in children:
            child.close(force=True)


def test_a_person_in_a_real_terminal_finishes_a_partial_profile(tmp_path, write_profile, spawn):
    profile = base_profile()
    del profile["organisation"]["nation"]
    del profile["training"]["refresher_months"]
    path = write_profile("# Our answers, kept by the PSW.\n" + yaml.safe_dump(profile, sort_keys=False), "ours.yaml")
    child = spawn(["wizard", "--only-new", "--profile", path], tmp_path)
    child.expect("In which UK nation")
    child.expect("Number: ")
    child.sendline("9")
    child.expect("is not one of the options")
    child.expect("Number: ")
    child.sendline("2")
    while True:
        index = child.expect([r"Number from 0 to 60: ", r"change answers\)?: ", r"\]: |: $", pexpect.EOF])
        if index == 0:
            child.sendline("24")
        elif index == 1:
            child.sendline("")
            child.expect(pexpect.EOF)
            break
        elif index == 2:
            child.sendline("")  # any other question still to answer: keep the offered answer
        else:
            break
    child.close()
    log = child.logfile_read.getvalue()
    assert child.exitstatus == 0, log
    assert COLOUR.search(log)  # a colour terminal gets colour
    assert "Traceback" not in log
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Our answers, kept by the PSW.\n")
    saved = yaml.safe_load(text)
    assert saved["organisation"]["nation"] == "wales"
    assert saved["training"]["refresher_months"] == 24


def test_ctrl_c_in_a_real_terminal_asks_and_no_color_is_honoured(tmp_path, spawn):
    child = spawn(["wizard"], tmp_path, NO_COLOR="1")
    child.expect("What is the full legal name of your organisation")
    child.expect("Answer: ")
    child.sendline("Testham Council")
    child.expect(r"Answer \[Testham Council\]: ")
    child.sendintr()
    child.expect(r"Keep your answers so far as a draft, to carry on later\? \(y or n\) \[y\]: ")
    child.sendline("n")
    child.expect("Stopped: your answers were not kept.")
    child.expect(pexpect.EOF)
    child.close()
    log = child.logfile_read.getvalue()
    assert child.exitstatus == 1
    assert "Traceback" not in log
    assert not COLOUR.search(log)
    assert not (tmp_path / "profiles").exists()


def test_closing_the_terminal_window_keeps_the_draft(tmp_path, spawn):
    import signal

    child = spawn(["wizard"], tmp_path)
    child.expect("Answer: ")
    child.sendline("Testham Council")
    child.expect(r"Answer \[Testham Council\]: ")
    child.kill(signal.SIGHUP)  # what closing the window sends
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 129, "stopped by the hang-up, not killed by it"
    draft = yaml.safe_load((tmp_path / "profiles/drafts/testham-council.yaml").read_text(encoding="utf-8"))
    assert draft["organisation"]["name"] == "Testham Council"


LEFT, UP = "\x1b[D", "\x1b[A"


def test_a_manager_in_a_real_terminal_edits_with_arrow_keys_saves_and_keeps_the_draft_on_ctrl_c(tmp_path, spawn):
    child = spawn(["wizard"], tmp_path)
    child.expect("What is the full legal name of your organisation")
    child.expect("Answer: ")
    # A typo mended with the arrow keys, as in any shell: the keys move the cursor, they are not the answer.
    child.send("Testham Council" + LEFT * 7 + "Borough ")
    child.sendline("")
    child.expect(r"Answer \[Testham Borough Council\]: ")
    child.send(UP)  # the line typed before comes back, to change
    child.sendline(LEFT * 24 + "\x01" + "\x0b" + "Testham")  # Ctrl-A, Ctrl-K: the line emptied, a short name typed
    child.expect("In which UK nation")
    child.expect("Number: ")
    child.sendline("9")
    child.expect("is not one of the options")
    child.expect("Number: ")
    child.sendline("1")
    while True:  # the rest of section 1: the first option, or the answer offered
        index = child.expect([r"Which role owns this policy\?", r"(Number|commas): $", r"\]: $"])
        if index == 0:
            break
        child.sendline("1" if index == 1 else "")
    child.expect("Answer: ")
    child.sendline("back")  # the first question of section 2: back to the last of section 1
    child.expect(r"1\.\d+  ")
    child.expect(r"\]: $")
    child.sendline("")
    child.expect("Which role owns this policy")
    child.expect("Answer: ")
    child.sendline("!save")
    child.expect("Saved your answers so far as a draft")
    child.expect("Or carry on answering:")
    child.expect("Answer: ")
    child.sendline("Principal Social Worker")
    child.expect("Leave blank if it is still a draft")
    child.expect("Answer: ")
    child.sendintr()
    child.expect(r"Keep your answers so far as a draft, to carry on later\? \(y or n\) \[y\]: ")
    child.sendline("")
    child.expect("Stopped. Your answers so far are kept as a draft. Carry on with this command:")
    child.expect(r"\n  \S*policy-builder wizard --profile profiles/drafts/testham.yaml")  # whole, on its own line
    child.expect(pexpect.EOF)
    child.close()
    log = child.logfile_read.getvalue()
    assert "Traceback" not in log
    draft = yaml.safe_load((tmp_path / "profiles/drafts/testham.yaml").read_text(encoding="utf-8"))
    assert draft["organisation"]["name"] == "Testham Borough Council"
    assert draft["organisation"]["short_name"] == "Testham"
    assert draft["organisation"]["nation"] == "england"
    assert draft["document"]["owner"] == "Principal Social Worker", "the answer given after !save is kept too"
    assert not list((tmp_path / "profiles").glob("*.yaml")), "no finished profile was written"


@pytest.mark.parametrize("stance", ["strict", "permissive"])
def test_every_prompt_names_the_section_progress(library, tmp_path, stance):
    lines = (
        script(library, STRICT, STRICT_SKIPPED)
        if stance == "strict"
        else script(library, PERMISSIVE, {"surveillance.powers"})
    )
    result = run(library, ["--save", tmp_path / "p.yaml"], "\n".join(lines) + "\n")
    total = len(library.questionnaire.sections)
    headings = re.findall(rf"Section (\d+) of {total}: ", result.output.split(REVIEW)[0])
    assert [int(n) for n in headings] == list(range(1, total + 1))


def test_saving_an_edited_profile_under_a_new_name_keeps_its_comments(library, tmp_path):
    new = tmp_path / "my-council.yaml"
    result = run(library, ["--profile", EXAMPLE, "--save", new], "1\n4.1\n3\n\n")
    assert result.exit_code == 0, result.output
    original = EXAMPLE.read_text(encoding="utf-8")
    assert new.read_text(encoding="utf-8") == original.replace("whatsapp: keep_in_touch", "whatsapp: permitted")
    assert EXAMPLE.read_text(encoding="utf-8") == original


def test_the_first_screen_says_how_long_a_new_policy_takes(library, tmp_path):
    from policy_builder.interview.session import new_policy_length

    length = new_policy_length(library)
    result = run(library, ["--save", tmp_path / "p.yaml"], "")
    output = flat(result.output)
    low, high = length.minutes
    assert f"There are {length.questions} questions in {length.sections} sections, up to {length.most} " in output
    assert f"about {low} to {high} minutes" in output
    assert "It helps to have these to hand:" in output
    assert f"- {library.questionnaire.questions['out_of_hours.emergency_route'].prompt}" in output


def test_wizard_profiles_option_puts_profiles_and_drafts_there(library, tmp_path, monkeypatch):
    """Issue 17: `wizard --profiles DIR`, as `serve --profiles DIR`."""
    monkeypatch.chdir(tmp_path)
    result = run(library, ["--profiles", "team"], "Testham Council\n\n1\n1\n1\nn\n")  # section 1, then input ends
    assert result.exit_code == 1
    assert (tmp_path / "team/drafts/testham-council.yaml").is_file()
    assert not (tmp_path / "profiles").exists()
    again = run(library, ["--profiles", "team"], "1\n")
    assert "Unfinished answers were saved earlier:" in flat(again.output)


def test_times_are_said_in_words():
    import datetime as dt

    from policy_builder.interview.session import when_saved

    now = dt.datetime(2026, 12, 2, 16, 0)
    assert when_saved("2026-12-02 03:18", now) == "today at 3:18am"
    assert when_saved("2026-12-01 15:18", now) == "yesterday at 3:18pm"
    assert when_saved("2026-04-01 12:05", now) == "on 1 April at 12:05pm"
    assert when_saved("2025-04-01 00:05", now) == "on 1 April 2025 at 12:05am"
    assert when_saved("soon", now) == "soon"


def test_enter_on_a_yes_or_no_question_without_a_suggested_answer_says_it_is_left_undecided(library, tmp_path):
    """Issue 17: passed over silently, the question showed later as "(blank)"."""
    stance = {**STRICT, "students.placements": ""}
    result = run(library, ["--save", tmp_path / "p.yaml"], "\n".join(script(library, stance, STRICT_SKIPPED)) + "\n")
    output = flat(result.output)
    placements = output.split("Do you host social work students on placement?", 1)[1]
    assert placements.split("y or n:", 1)[1].lstrip().startswith("Left undecided: the policy stays a draft")


@pytest.mark.parametrize("word", ["quit", "q", "Q", "!quit"])
def test_typing_quit_stops_and_keeps_the_answers_without_saving_the_word(library, tmp_path, word):
    """Blind review 4 typed q to leave and got a draft named q.yaml: a quit word stops as Ctrl-C does."""
    path = tmp_path / "later.yaml"
    result = run(library, ["--save", path], f"Quitham Council\n{word}\n")
    output = flat(result.output)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not path.exists(), "stopping never writes the finished profile"
    drafts = list((tmp_path / "drafts").glob("*.yaml"))
    assert [d.name for d in drafts] == ["quitham-council.yaml"], "the quit word is not taken as an answer"
    assert f"Stopped. Your answers so far are kept as a draft. Carry on with this command: {program()}" in output
    kept = read_draft(drafts[0], library.questionnaire).given
    assert kept["organisation.name"] == "Quitham Council"
    assert word not in kept.values() and word.lower() not in kept.values()
    assert "or quit to stop" in output, "the banner says how to stop"


def test_quit_at_the_first_question_saves_nothing(library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(library, [], "quit\n")
    assert result.exit_code == 1
    assert "Stopped: nothing was saved." in flat(result.output)
    assert not (tmp_path / "profiles").exists() or not any((tmp_path / "profiles").rglob("*.yaml"))
