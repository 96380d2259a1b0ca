"""`policy-builder wizard`: the questionnaire asked in the terminal. Terminal I/O only.

What applies, how typed answers are read and which gaps a section raises
all come from interview.py; this module shows questions, reads lines and
saves. Prompts go through click.prompt (so CliRunner can script them, and
Ctrl-C or end of input arrive as click.Abort); everything else is printed by
rich, which leaves out colour when NO_COLOR is set or the output is not a
terminal.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import display_path
from .interview import CLEAR, Interview, describe_answer, parse_answer, typed_form
from .library import Library
from .models import GapWarning, Question
from .questionnaire import AnswerError, describe_allowed

SAVE_LATER = "!save"
GUIDANCE = "?"
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_QUESTION_NUMBER = re.compile(r"^(\d+)\.(\d+)$")


class SaveLater(Exception):
    """The person typed !save: save what there is and stop."""


@dataclass
class WizardOptions:
    profile: Path | None = None
    save: Path | None = None
    only_new: bool = False
    build: bool = False
    out_dir: Path = Path("out")
    build_date: dt.date | None = None


def run_wizard(library: Library, options: WizardOptions) -> int:
    """Run the wizard; the exit code: 0 saved, 1 stopped (end of input), 130 stopped by Ctrl-C."""
    if options.profile is not None:
        interview = Interview.from_profile(library, options.profile, build_date=options.build_date)
    else:
        interview = Interview(library, build_date=options.build_date or dt.date.today())
    return Wizard(interview, options).run()


class Wizard:
    def __init__(self, interview: Interview, options: WizardOptions) -> None:
        self.interview = interview
        self.options = options
        self.console = Console(highlight=False, emoji=False, markup=False)
        self.saved: Path | None = None
        self.saving = False  # while choosing where to save, !save is just text

    # --- the whole run ----------------------------------------------------------------------
    def run(self) -> int:
        try:
            try:
                self.interview_steps()
                self.review()
                self.save(final=True)
            except SaveLater:
                self.save(final=False)
                return 0
            if self.options.build:
                self.build()
            return 0
        except (click.Abort, EOFError):
            self.stopped()
            return 1
        except KeyboardInterrupt:
            self.stopped()
            return 130

    def stopped(self) -> None:
        sys.stdout.flush()  # the unanswered prompt first, then the message on a line of its own
        if self.saved is None:
            click.echo("\nStopped: nothing was saved.", err=True)
        else:
            click.echo(f"\nStopped: {display_path(self.saved)} was saved, but the policy was not built.", err=True)

    def interview_steps(self) -> None:
        interview = self.interview
        self.say("policy-builder wizard: your social media policy, question by question", "bold")
        self.say(
            "Press Enter to keep the answer shown in [brackets]. Type ? to see the guidance behind a question, "
            f"{CLEAR} to leave an answer blank, or {SAVE_LATER} to save your answers so far and finish later. "
            "Ctrl-C stops without saving.",
            "dim",
        )
        if self.options.profile is None:
            for section in interview.sections:
                self.run_section(section.id)
            return
        total = sum(len(interview.applicable(s.id)) for s in interview.sections)
        missing = len(interview.unanswered())
        self.say("")
        self.say(
            f"Loaded {display_path(self.options.profile)}: {total - missing} of {total} questions answered"
            + (f", {missing} still to answer." if missing else ".")
        )
        for flag in interview.flags:
            self.say(f"  Note: {flag.message}.", "yellow")
        self.show_not_applicable()
        if self.options.only_new:
            self.ask_unanswered()
            return
        # Fixed numbers, so "1" always means the review screen however finished the profile is.
        options = [
            ("review", "Go straight to the review screen to change particular answers"),
            ("all", "Go through every question, with your answers offered as the defaults"),
        ]
        if missing:
            options.append(("missing", f"Answer the {_plural(missing, 'question')} still to answer"))
        self.say("")
        self.say("What would you like to do?", "bold")
        for number, (_key, label) in enumerate(options, start=1):
            self.option_line(number, label)
        # Unfinished: carry on answering. Finished: most edits are one answer, so the review screen.
        choice = self.menu("Number", len(options), default=len(options) if missing else 1)
        key = options[choice - 1][0]
        if key == "missing":
            self.ask_unanswered()
        elif key == "all":
            for section in interview.sections:
                self.run_section(section.id)

    def ask_unanswered(self) -> None:
        interview = self.interview
        if not interview.unanswered():
            self.say("This profile answers every question that applies.", "green")
            return
        # Answers can bring follow-up questions into play, so go round until none is left.
        for _ in range(len(interview.library.questionnaire.questions)):
            if not interview.unanswered():
                break
            for section in interview.sections:
                self.run_section(section.id, only_unanswered=True)

    # --- sections and questions --------------------------------------------------------------
    def run_section(self, section_id: str, *, only_unanswered: bool = False, reached: list[str] | None = None) -> int:
        """Ask a section's questions that apply, then show the gaps its answers raise; the number asked."""
        interview = self.interview
        number = interview.section_number(section_id)
        asked = 0
        position = 0
        for question in interview.library.questionnaire.in_section(section_id):
            # Judged afresh each time: an answer just given can bring a follow-up into play.
            if not interview.applies(question):
                continue
            position += 1
            if only_unanswered and interview.is_answered(question.id):
                continue
            if not asked:
                self.heading(section_id)
            self.ask_question(question, f"{number}.{position}")
            asked += 1
        if asked:
            self.show_section_gaps(section_id, reached)
        return asked

    def heading(self, section_id: str) -> None:
        self.console.print()
        self.console.rule(Text(self.interview.progress(section_id), style="bold cyan"), align="left", style="cyan")

    def ask_question(self, question: Question, number: str) -> None:
        interview = self.interview
        self.show_question(question, number)
        offered = interview.offered(question)
        shown = typed_form(question, offered)
        label = _label(question) + (f" [{shown}]" if shown else "")
        while True:
            text = self.ask(label)
            if text == GUIDANCE:
                self.show_guidance(question)
                continue
            if not text:
                if offered is None and question.required:
                    self.warn(f"An answer is needed here: {_needs(question)}.")
                    continue
                value = offered
            else:
                try:
                    value = parse_answer(question, text)
                except AnswerError as exc:
                    self.warn(f"{_sentence(str(exc))} Please try again.")
                    continue
            interview.answer(question.id, value)
            return

    def show_question(self, question: Question, number: str) -> None:
        offered = self.interview.offered(question)
        answered = self.interview.is_answered(question.id)
        self.console.print()
        title = Text()
        title.append(f"{number}  ", style="bold cyan")
        title.append(question.prompt, style="bold")
        if self.interview.is_new(question):
            title.append("  (new question)", style="magenta")
        self.console.print(title)
        if question.help:
            self.console.print(Text(question.help, style="dim"))
        marker = "your answer" if answered else "default"
        if question.type in ("choice", "multi"):
            chosen = offered if isinstance(offered, list) else [offered]
            for index, choice in enumerate(question.choices, start=1):
                self.option_line(index, choice.label, current=choice.value in chosen, marker=marker)

    def option_line(self, number: int, label: str, *, current: bool = False, marker: str = "") -> None:
        line = Text(f"  {number:>2}  ", style="cyan")
        line.append(label)
        if current and marker:
            line.append(f"  ({marker})", style="green")
        self.console.print(line)

    def show_guidance(self, question: Question) -> None:
        guidance = self.interview.guidance(question)
        if question.help:
            self.say(question.help)
        if not guidance:
            self.say("This question rests on no particular guidance: it fills in details of the document.", "dim")
            return
        self.say("The guidance this question rests on:", "bold")
        for item in guidance:
            line = Text(f"  {item.id}", style="cyan")
            line.append(f" ({item.document}): ", style="dim")
            line.append(item.summary)
            self.console.print(line)

    def show_section_gaps(self, section_id: str, reached: list[str] | None) -> None:
        warnings = self.interview.section_gaps(section_id, reached)
        self.console.print()
        if not warnings:
            self.say("No gaps from this section's answers.", "green")
            return
        self.say(f"Gaps these answers leave open ({len(warnings)}):", "bold")
        self.gap_table(warnings, recommendations=True)

    def gap_table(self, warnings: list[GapWarning], *, recommendations: bool) -> None:
        table = Table(box=box.SIMPLE, show_header=True, show_edge=False, header_style="bold", expand=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("What is open and what to do" if recommendations else "What is open")
        for warning in warnings:
            cell = Text(warning.message)
            if recommendations:
                cell.append("\nWhat to do: ", style="bold")
                cell.append(warning.recommendation)
            table.add_row(Text(warning.severity.upper(), style=SEVERITY_STYLE.get(warning.severity, "")), cell)
        self.console.print(table)

    def show_not_applicable(self) -> None:
        left_out = self.interview.not_applicable()
        if not left_out:
            return
        self.say("These answers no longer apply and will be left out when you save:", "yellow")
        for qid in left_out:
            self.say(f"  {qid}: {self.interview.question(qid).prompt}", "yellow")

    # --- review -----------------------------------------------------------------------------------
    def review(self) -> None:
        interview = self.interview
        count = len(interview.sections)
        while True:
            self.show_review()
            self.console.print()
            text = self.ask(
                f"Press Enter to save, or type a section number (1-{count}) or a question number (such as 4.2) "
                "to change answers"
            )
            if not text:
                missing = interview.missing_required()
                if not missing:
                    return
                self.warn(f"{_plural(len(missing), 'required question')} not answered yet; they come next.")
                self.ask_unanswered()
                continue
            if text.isdigit() and 1 <= int(text) <= count:
                section_id = interview.sections[int(text) - 1].id
                self.run_section(section_id, reached=[s.id for s in interview.sections])
                continue
            match = _QUESTION_NUMBER.match(text)
            if match and 1 <= int(match.group(1)) <= count:
                section_id = interview.sections[int(match.group(1)) - 1].id
                questions = interview.applicable(section_id)
                index = int(match.group(2))
                if 1 <= index <= len(questions):
                    self.heading(section_id)
                    self.ask_question(questions[index - 1], text)
                    # A changed answer may bring follow-up questions into play: ask those too.
                    self.run_section(section_id, only_unanswered=True, reached=[s.id for s in interview.sections])
                    if not interview.unanswered(section_id):
                        self.show_section_gaps(section_id, [s.id for s in interview.sections])
                    continue
            self.warn(
                f"'{text}' is not a section or question number: type a number from 1 to {count}, "
                "a question number such as 4.2, or press Enter to save."
            )

    def show_review(self) -> None:
        interview = self.interview
        self.console.print()
        self.console.rule(Text("Review your answers", style="bold cyan"), align="left", style="cyan")
        for section in interview.sections:
            self.console.print()
            self.say(interview.progress(section.id), "bold")
            table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
            table.add_column("No.", no_wrap=True, style="cyan")
            table.add_column("Question", ratio=3)
            table.add_column("Answer", ratio=2)
            number = interview.section_number(section.id)
            for position, question in enumerate(interview.applicable(section.id), start=1):
                table.add_row(f"{number}.{position}", question.prompt, self.review_answer(question))
            self.console.print(table)
        self.show_not_applicable()
        warnings = interview.gaps()
        self.console.print()
        if not warnings:
            self.say("No gaps found for these answers.", "green")
            return
        counts = {s: sum(1 for w in warnings if w.severity == s) for s in ("high", "medium", "low")}
        self.say(f"Gaps: {counts['high']} high, {counts['medium']} medium, {counts['low']} low", "bold")
        self.gap_table(warnings, recommendations=False)

    def review_answer(self, question: Question) -> Text:
        interview = self.interview
        if interview.is_answered(question.id):
            return Text(describe_answer(question, interview.answers[question.id]), style="bold")
        offered = interview.offered(question)
        if offered is None and question.required:
            return Text("(not answered yet)", style="red")
        return Text(f"{describe_answer(question, offered)} (not answered: the default)", style="dim")

    # --- saving and building -------------------------------------------------------------------------
    def save(self, *, final: bool) -> None:
        from .profile import save_profile

        interview = self.interview
        self.saving = True
        path = self.save_path()
        name = interview.answers.get("organisation.name") or "your organisation"
        header = (
            f"Social media policy answers for {name}, written by the policy-builder wizard.\n"
            f"Change them with: policy-builder wizard --profile {display_path(path)}\n"
            f"Build the policy with: policy-builder build {display_path(path)}"
        )
        library = interview.library
        # The profile records the questionnaire version only once every question that applies has been seen.
        seen_all = final and not interview.unanswered()
        save_profile(
            path,
            interview.profile_answers(final=final),
            library.questionnaire,
            library.nations,
            complete=final,
            header=header,
            questionnaire_version=library.questionnaire.version if seen_all else None,
            based_on=self.options.profile,
        )
        self.saved = path
        self.console.print()
        if final:
            self.say(f"Saved {display_path(path)}.", "bold green")
            if not self.options.build:
                self.say(f"Build the policy with: policy-builder build {display_path(path)}")
            return
        left = len(interview.unanswered())
        self.say(
            f"Saved your answers so far to {display_path(path)}"
            + (f"; {_plural(left, 'question')} still to answer." if left else "."),
            "bold green",
        )
        self.say(f"Carry on later with: policy-builder wizard --profile {display_path(path)}")

    def save_path(self) -> Path:
        if self.options.save is not None:
            return self.options.save
        if self.options.profile is not None:
            return self.options.profile
        path = self.interview.default_save_path()
        while path.exists():
            self.console.print()
            self.say(f"{display_path(path)} already exists.", "yellow")
            if self.ask("Replace it? (y or n) [n]").lower() in ("y", "yes"):
                return path
            text = self.ask(f"Save as [{display_path(_free_name(path))}]") or str(_free_name(path))
            path = Path(text if text.endswith((".yaml", ".yml")) else text + ".yaml")
        return path

    def build(self) -> None:
        from .build import build_profile

        assert self.saved is not None
        result = build_profile(self.interview.library, self.saved, self.options.out_dir)
        self.say("Built the policy:", "bold")
        for path in result.written:
            self.say(f"  {display_path(path)}")
        counts = {s: sum(1 for w in result.warnings if w.severity == s) for s in ("high", "medium", "low")}
        self.say(f"Gaps: {counts['high']} high, {counts['medium']} medium, {counts['low']} low (see the gap report).")

    # --- input and output ----------------------------------------------------------------------
    def ask(self, label: str) -> str:
        text = click.prompt(label, default="", show_default=False, prompt_suffix=": ").strip()
        if text.lower() == SAVE_LATER and not self.saving:
            raise SaveLater
        return text

    def menu(self, label: str, count: int, *, default: int) -> int:
        while True:
            text = self.ask(f"{label} [{default}]")
            if not text:
                return default
            if text.isdigit() and 1 <= int(text) <= count:
                return int(text)
            self.warn(f"'{text}' is not one of the options: type a number from 1 to {count}.")

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""))

    def warn(self, text: str) -> None:
        self.console.print(Text(text, style="red"))


def _label(question: Question) -> str:
    return {
        "choice": "Number",
        "multi": "Numbers, separated by commas",
        "boolean": "y or n",
        "date": "Date (YYYY-MM-DD)",
        "integer": f"Number from {question.minimum} to {question.maximum}",
    }.get(question.type, "Answer")


def _needs(question: Question) -> str:
    if question.type in ("choice", "multi"):
        return f"type {'a number' if question.type == 'choice' else 'one or more numbers'} from the list"
    return describe_allowed(question)


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _free_name(path: Path) -> Path:
    for number in range(2, 1000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists():
            return candidate
    return path


__all__ = ["run_wizard", "WizardOptions", "Wizard"]
