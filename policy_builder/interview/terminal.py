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
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from rich import box
from rich.console import Console, ConsoleOptions, RenderableType
from rich.padding import Padding
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from policy_builder.content.library import Library
from policy_builder.content.models import GapWarning, Question
from policy_builder.content.questionnaire import AnswerError, describe_allowed
from policy_builder.core.errors import display_path
from policy_builder.core.terminal import printable, printable_lines
from policy_builder.interview.session import (
    CLEAR,
    TEMPLATE_QUESTION,
    Interview,
    StartingAnswers,
    check_template,
    count_questions,
    new_policy_length,
    parse_answer,
    program,
    typed_form,
    when_saved,
)
from policy_builder.pipeline.profile_edit import (
    DraftFile,
    draft_info,
    drafts_folder,
    list_drafts,
)

SAVE_LATER = "!save"
GUIDANCE = "?"
MORE_GUIDANCE = "??"  # the whole preview, however long
SCREEN_LINES = 36  # a brief preview fits about a screen (40 lines, less the question and the prompt)
BACK = "back"
# Typed alone at any prompt: stop as Ctrl-C does (asks whether to keep the answers). "q" too, because people type
# it to leave (blind review 4 saved a draft named q.yaml); no question's real answer is the single letter q.
QUIT_WORDS = ("quit", "q", "!quit")


class Quit(Exception):
    """The person typed quit (or q) at a prompt: stop, and ask whether to keep the answers as Ctrl-C does."""


class GoBack(Exception):
    """The person typed back at the first question of a section: the previous section's last question is next."""


SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_QUESTION_NUMBER = re.compile(r"^(\d+)\.(\d+)$")
# Keys a terminal without line editing passes through as text (arrows, Home, Delete...): never part of an answer.
_KEY_CODES = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?|[\x00-\x08\x0b-\x1f\x7f]")


class NeutralConsole(Console):
    """A rich console that shows control characters in any text as escapes, as `build` does.

    Answers, a loaded profile's names, previews of the policy and gap messages all reach the terminal
    through rich; neutralising the text of every segment it renders (never its own colour codes, which
    rich adds around the segments when it writes them) covers each of them, tables included.
    """

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterator[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or segment.text.isprintable() or segment.text == "\n":
                yield segment
            else:
                yield Segment(printable_lines(segment.text), segment.style)


@dataclass
class WizardOptions:
    profile: Path | None = None
    save: Path | None = None
    only_new: bool = False
    build: bool = False
    out_dir: Path = Path("out")
    build_date: dt.date | None = None
    show_ids: bool = False  # power users: question and guidance ids beside the words
    profiles: Path | None = None  # --profiles: where finished profiles and drafts go, as for serve
    # --from-policy: the answers the employer's current policy settles, read by the command line (audit/)
    starting: StartingAnswers | None = None


def run_wizard(library: Library, options: WizardOptions) -> int:
    """Run the wizard; the exit code: 0 saved, 1 stopped (end of input), 130 stopped by Ctrl-C."""
    if sys.stdin.isatty():
        try:
            import readline  # noqa: F401 - line editing and arrow keys for input(), which click.prompt uses
        except ImportError:  # pragma: no cover - Windows without pyreadline
            pass
    wizard = Wizard(library, options)
    previous = None
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGHUP, _hang_up)  # the terminal window closed: keep the draft
    try:
        return wizard.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)


class HangUp(Exception):
    """The terminal went away (its window was closed)."""


def _hang_up(signum: int, frame: object) -> None:
    raise HangUp


class Wizard:
    def __init__(self, library: Library, options: WizardOptions) -> None:
        self.library = library
        self.options = options
        self.console = NeutralConsole(highlight=False, emoji=False, markup=False)
        self.saved: Path | None = None
        self.saving = False  # while choosing where to save, !save is just text
        self.interview = Interview(library, build_date=options.build_date or dt.date.today())
        # Drafts: the answers so far, saved after every section into <profiles folder>/drafts.
        given = options.profile
        self.resumed = draft_info(given) if given is not None else None  # --profile names a draft
        self.editing = given if given is not None and self.resumed is None else None  # a finished profile
        if options.save is not None:
            self.folder = options.save.parent
        elif options.profiles is not None:
            self.folder = options.profiles
        elif self.resumed is not None and given is not None:
            self.folder = given.parent.parent
        elif given is not None:
            self.folder = given.parent
        else:
            self.folder = Path("profiles")
        self.loaded: Path | None = None  # the file whose answers were loaded (a profile or a draft)
        self.draft: Path | None = None  # the draft file of this run, once there is one
        self.draft_of: Path | None = None  # the finished profile a resumed draft is for
        self.draft_before: bytes | None = None  # a resumed draft as it was: put back if the person says so
        self.draft_created = False
        self.kept: dict[str, object] = {}  # the answers as the draft last saved them

    # --- the whole run ----------------------------------------------------------------------
    def run(self) -> int:
        try:
            self.open()
            self.interview_steps()
            self.review()
            self.save()
            if self.options.build:
                self.build()
            return 0
        except (click.Abort, EOFError) as exc:
            # click.prompt turns Ctrl-C into Abort too; the KeyboardInterrupt stays as its context.
            self.stopped(interrupted=isinstance(exc.__context__, KeyboardInterrupt))
            return 1
        except KeyboardInterrupt:
            self.stopped(interrupted=True)
            return 130
        except Quit:
            self.stopped(interrupted=True)
            return 1
        except HangUp:
            try:
                self.stopped(interrupted=False)  # nobody to ask: the draft is kept
            except OSError:
                pass  # the terminal is gone: the message has nowhere to go, the draft is saved
            return 129

    def stopped(self, *, interrupted: bool) -> None:
        sys.stdout.flush()  # the unanswered prompt first, then the message on a line of its own
        if self.saved is not None:
            click.echo(f"\nStopped: {display_path(self.saved)} was saved, but the policy was not built.", err=True)
            return
        changed = self.interview.answers != self.kept
        if self.draft is None and not changed:
            click.echo("\nStopped: nothing was saved.", err=True)
            return
        keep = True
        if interrupted and sys.stdin.isatty():  # only a person at a terminal can be asked; else keep
            click.echo("")
            try:
                text = click.prompt(
                    "Keep your answers so far as a draft, to carry on later? (y or n)",
                    default="y",
                    prompt_suffix=": ",
                )
                keep = text.strip().lower() not in ("n", "no")
            except (click.Abort, EOFError, KeyboardInterrupt):
                keep = True
        if keep:
            try:
                if changed or self.draft is None:
                    self.keep_draft()
            except Exception as exc:  # noqa: BLE001 - stopping must never end in a traceback
                click.echo(f"\nStopped: your answers could not be kept as a draft ({exc}).", err=True)
                return
            assert self.draft is not None
            click.echo("\nStopped. Your answers so far are kept as a draft. Carry on with this command:", err=True)
            click.echo(f"  {self.resume_command()}", err=True)  # on a line of its own: never split by other words
            return
        self.discard_draft()
        click.echo("\nStopped: your answers were not kept.", err=True)

    def open(self) -> None:
        """Load the profile or draft to carry on with; offer unfinished drafts first."""
        options = self.options
        build_date = options.build_date
        if self.resumed is not None and options.profile is not None:
            self.resume(self.resumed)
            self.banner()
            return
        folder = drafts_folder(self.folder)
        if self.editing is not None:
            waiting = list_drafts(folder, of=self.editing)
            if waiting:
                self.banner()
                draft = waiting[0]
                self.say("")
                self.say(
                    f"Unfinished changes to {display_path(self.editing)} were saved {when_saved(draft.saved)}.", "bold"
                )
                if self.ask("Carry on with those changes? (y or n) [y]").lower() not in ("n", "no"):
                    self.resume(draft)
                    return
            self.interview = Interview.from_profile(self.library, self.editing, build_date=build_date)
            self.loaded = self.editing
            self.kept = dict(self.interview.answers)
            if not waiting:
                self.banner()
            return
        self.banner()
        if options.starting is not None:
            self.start_from(options.starting)
            return
        waiting = list_drafts(folder)
        if not waiting:
            return
        shown = waiting[:9]
        self.say("")
        self.say("Unfinished answers were saved earlier:", "bold")
        for number, draft in enumerate(shown, start=1):
            self.option_line(number, self.draft_label(draft))
        self.option_line(len(shown) + 1, "Start a new policy")
        choice = self.menu("Number", len(shown) + 1, default=1)
        if choice <= len(shown):
            self.resume(shown[choice - 1])

    def start_from(self, starting: StartingAnswers) -> None:
        """Offer the answers the current policy settles, each with its quote shown under the question."""
        starting.start(self.interview)
        first, *rest = starting.notices
        self.say("")
        self.say(first, "bold")
        for line in rest:
            self.say(f"  {line}", "yellow")

    def draft_label(self, draft: DraftFile) -> str:
        name = draft.organisation or "A new policy, not named yet"
        changes = draft.of is not None and draft.of.is_file()
        what = f"changes to {draft.of.name}" if changes and draft.of is not None else "a new policy"
        # The file's path is a power user's detail (--show-ids); a manager knows the draft by name and time.
        where = f": {display_path(draft.path)}" if self.options.show_ids else ""
        return f"{name} ({what}, saved {when_saved(draft.saved)}{where})"

    def resume(self, draft: DraftFile) -> None:
        self.interview = Interview.from_profile(self.library, draft.path, build_date=self.options.build_date)
        self.loaded = self.draft = draft.path
        self.draft_of = draft.of
        self.draft_before = draft.path.read_bytes()
        self.kept = dict(self.interview.answers)

    # --- drafts ---------------------------------------------------------------------------------
    def target(self) -> Path | None:
        """The finished profile these answers are for, when that is already known."""
        return self.options.save or self.draft_of or self.editing

    def keep_draft(self) -> None:
        """Save the answers so far to this run's draft (making it on the first save)."""
        interview = self.interview
        based_on: Path | None = None
        if self.draft is None:
            self.draft = interview.new_draft_file(self.folder, self.editing.stem if self.editing is not None else None)
            self.draft_created = True
            based_on = self.editing  # the first save keeps the profile's comments; later ones the draft's
        try:
            interview.keep_draft(self.draft, of=self.target(), based_on=based_on)
        except Exception:
            if self.draft_created and self.draft.stat().st_size == 0:
                self.draft.unlink()  # the name was reserved, nothing written
                self.draft = None
            raise
        self.kept = dict(interview.answers)

    def discard_draft(self) -> None:
        if self.draft is None:
            return
        if self.draft_before is not None:
            self.draft.write_bytes(self.draft_before)  # a resumed draft goes back to how it was
        elif self.draft.exists():
            self.draft.unlink()
            _remove_if_empty(self.draft.parent)
        self.draft = None

    def resume_command(self) -> str:
        assert self.draft is not None
        return f"{program()} wizard --profile {_quoted(display_path(self.draft))}"

    def banner(self) -> None:
        self.say("policy-builder wizard: your social media policy, question by question", "bold")
        self.say(
            "Press Enter to keep the answer shown in [brackets]. Type ? to see the guidance behind a question "
            "and what each answer puts in the policy, "
            f"{BACK} to go back to the question before, "
            f"{CLEAR} to leave an answer blank, {SAVE_LATER} to save your answers so far, or quit to stop. "
            "Your answers are saved as a draft after every section; quit (or Ctrl-C) asks whether to keep them.",
            "dim",
        )
        if self.editing is None and self.resumed is None:
            # A new policy: say how long it is and what to look up first, counted from the questionnaire.
            length = new_policy_length(self.library)
            starting = self.options.starting
            self.say(length.sentence(len(starting.answers) if starting is not None else None))
            if length.to_hand:
                self.say("It helps to have these to hand:")
                for prompt in length.to_hand:
                    self.say(f"  - {prompt}")

    def interview_steps(self) -> None:
        interview = self.interview
        if self.loaded is None:
            self.run_sections()
            return
        missing = len(interview.unanswered())
        self.say("")
        if self.draft is not None and self.loaded == self.draft:
            shown = f" ({display_path(self.loaded)})" if self.options.show_ids else ""
            loaded = f"Your answers saved as a draft{shown}"
        else:
            loaded = f"Loaded {display_path(self.loaded)}"
        # The same count as the start screen and the review: count_questions says what a question is.
        self.say(f"{loaded}: {count_questions(interview).progress()}.")
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
            self.run_sections()

    def ask_unanswered(self) -> None:
        interview = self.interview
        if not interview.unanswered():
            self.say("This profile answers every question that applies.", "green")
            return
        # Answers can bring follow-up questions into play, so go round until none is left.
        for _ in range(len(interview.library.questionnaire.questions)):
            if not interview.unanswered():
                break
            self.run_sections(only_unanswered=True)

    # --- sections and questions --------------------------------------------------------------
    def run_sections(self, *, only_unanswered: bool = False) -> None:
        """Every section in turn; `back` at a section's first question goes to the one before."""
        ids = [s.id for s in self.interview.sections]
        index = 0
        from_last = False
        while index < len(ids):
            try:
                self.run_section(ids[index], only_unanswered=only_unanswered, from_last=from_last, leave_back=index > 0)
            except GoBack:
                index -= 1
                from_last = True
                continue
            index += 1
            from_last = False

    def run_section(
        self,
        section_id: str,
        *,
        only_unanswered: bool = False,
        reached: list[str] | None = None,
        from_last: bool = False,
        leave_back: bool = False,
    ) -> int:
        """Ask a section's questions that apply, then show the gaps its answers raise; the number asked.

        ``from_last`` starts at its last question (the person went back to it);
        ``leave_back`` lets `back` at its first question leave it for the section before (GoBack).
        """
        interview = self.interview
        number = interview.section_number(section_id)
        questions = list(interview.library.questionnaire.in_section(section_id))
        asked_at: list[int] = []  # indexes of the questions asked, to go back through
        index = 0
        forced: int | None = None  # a question gone back to: asked even if answered
        if from_last:
            applying = [i for i, q in enumerate(questions) if interview.applies(q)]
            index = forced = applying[-1] if applying else len(questions)
        headed = False
        while index < len(questions):
            question = questions[index]
            # Judged afresh each time: an answer just given can bring a follow-up into play.
            if not interview.applies(question) or (
                only_unanswered and interview.is_answered(question.id) and index != forced
            ):
                index += 1
                continue
            if not headed:
                self.heading(section_id)
                headed = True
            position = 1 + sum(1 for q in questions[:index] if interview.applies(q))
            try:
                self.ask_question(question, f"{number}.{position}", back=bool(asked_at) or leave_back)
            except GoBack:
                if not asked_at:
                    raise
                index = forced = asked_at.pop()
                continue
            asked_at.append(index)
            index += 1
            forced = None
        asked = len(asked_at)
        if asked:
            self.keep_draft()
            self.show_section_gaps(section_id, reached)
        return asked

    def heading(self, section_id: str) -> None:
        self.console.print()
        self.console.rule(Text(self.interview.progress(section_id), style="bold cyan"), align="left", style="cyan")

    def ask_question(self, question: Question, number: str, *, back: bool = False) -> None:
        """Ask until a good answer; with ``back``, typing back raises GoBack to ask the question before."""
        interview = self.interview
        self.show_question(question, number)
        offered = interview.offered(question)
        shown = typed_form(question, offered)
        label = _label(question) + (f" [{printable(shown)}]" if shown else "")
        while True:
            text = self.ask(label)
            if text in (GUIDANCE, MORE_GUIDANCE):
                self.show_guidance(question, full=text == MORE_GUIDANCE)
                continue
            if text.lower() == BACK:
                if back:
                    raise GoBack
                self.warn("There is no question before this one here. Type an answer, or press Enter.")
                continue
            if not text:
                if offered is None and question.required:
                    self.warn(f"An answer is needed here: {_needs(question)}.")
                    continue
                value = offered
                if offered is None and question.type in ("boolean", "choice"):
                    # No suggested answer to keep: Enter leaves it undecided, and says so (issue 17: passed
                    # over silently, the question showed later as "(blank)").
                    self.say(
                        "Left undecided: the policy stays a draft until you answer it "
                        "(type back to answer it now, or change it on the review screen).",
                        "yellow",
                    )
            else:
                try:
                    value = parse_answer(question, text)
                    if question.id == TEMPLATE_QUESTION and value:
                        value = check_template(value, profile_dir=self.profile_dir(), look_in=[Path.cwd()])
                except AnswerError as exc:
                    self.warn(f"{_sentence(str(exc))} Please try again.")
                    continue
            interview.answer(question.id, value)
            return

    def profile_dir(self) -> Path:
        """The folder the finished profile will be saved in: a template path is recorded relative to it."""
        target = self.target()
        return target.parent if target is not None else self.folder

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
        reason = self.interview.reasons.get(question.id)
        if reason is not None:
            self.console.print(Text(reason.sentence(), style="yellow"))
        if question.id == TEMPLATE_QUESTION:
            self.say(
                "Type the file's path from this folder, or drag the file into this window; it is checked at once.",
                "dim",
            )
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

    def show_guidance(self, question: Question, *, full: bool = False) -> None:
        guidance = self.interview.guidance(question)
        if question.help:
            self.say(question.help)
        if not guidance:
            self.say("This question rests on no particular guidance: it fills in details of the document.", "dim")
        else:
            self.say("The guidance this question rests on:", "bold")
            for item in guidance:
                # The guidance item's id is a developer's word: shown only to power users (--show-ids).
                if self.options.show_ids:
                    line = Text(f"  {item.id}", style="cyan")
                    line.append(f" ({item.document}): ", style="dim")
                else:
                    line = Text(f"  - {item.document}: ", style="dim")
                line.append(item.summary)
                self.console.print(line)
        self.show_preview(question, full=full)

    def show_preview(self, question: Question, *, full: bool = False) -> None:
        """What each answer puts in the policy, rendered from the library with the answers so far.

        Brief unless ``full`` (typed ??): each choice's first passage, opening
        sentences only, and the whole cut to about a screen (issue 17: the four
        nations' wording scrolled far past a 40-line terminal).
        """
        from policy_builder.interview.preview import PLACEHOLDER, as_lines, preview_question

        preview = preview_question(self.interview, question)
        self.console.print()
        if preview.empty:
            self.say("This answer does not change the policy's wording.", "dim")
            return
        if preview.in_words:
            blank = preview.choices[0].value == PLACEHOLDER
            self.say(
                "Where your answer appears in the policy"
                + (f" (shown as {PLACEHOLDER} until you give one):" if blank else ":"),
                "bold",
            )
        else:
            self.say("What each answer puts in the policy, with your answers so far:", "bold")
        numbers = {choice.label: index for index, choice in enumerate(preview.choices, start=1)}
        lines = as_lines(preview, brief=not full)
        width = max(self.console.width - 6, 20)
        budget = SCREEN_LINES
        for kind, text in lines:
            height = sum(1 + len(part) // width for part in text.split("\n"))
            if not full and budget < height:
                self.say(f"Shortened to fit the screen: type {MORE_GUIDANCE} to see all of it.", "dim")
                return
            budget -= height
            if kind == "gap":
                self.console.print()
            elif kind == "choice":
                label = text.removesuffix("  (your answer)")
                number = numbers.get(label)
                line = Text(f"  {number:>2}  " if number and question.type != "boolean" else "  ", style="cyan")
                line.append(label, style="bold")
                if text != label:
                    line.append("  (your answer now)", style="green")
                self.console.print(line)
            elif kind == "title":
                self.console.print(Text(f"      {text}:", style="bold"))
            elif kind == "text":
                self.console.print(Padding(Text(text), (0, 0, 0, 6)))
            else:
                self.console.print(Padding(Text(text, style="dim"), (0, 0, 0, 6)))
        if not full and lines != as_lines(preview):
            self.say(f"Shortened: type {MORE_GUIDANCE} to see all of it.", "dim")

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
            shown = f"{qid}: " if self.options.show_ids else ""  # ids for power users only
            self.say(f"  {shown}{self.interview.question(qid).prompt}", "yellow")

    # --- review -----------------------------------------------------------------------------------
    def review(self) -> None:
        interview = self.interview
        count = len(interview.sections)
        while True:
            self.show_review()
            self.console.print()
            # The explanation is word-wrapped by rich; the prompt itself is short, as the terminal folds a
            # long prompt mid-word (issue 17: "to change an / swers").
            self.say(
                f"Press Enter to save. To change answers, type a section number (1 to {count}) "
                "or a question number (such as 4.2)."
            )
            text = self.ask("Enter, or a number")
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
                    self.keep_draft()
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
        self.say(f"Gaps: {interview.count_gaps(warnings).phrase()}", "bold")
        self.gap_table(warnings, recommendations=False)

    def review_answer(self, question: Question) -> Text:
        answer = self.interview.review_answer(question)
        if answer.kind == "answered":
            return Text(answer.text, style="bold")
        if answer.kind == "missing":
            return Text(f"({answer.text.lower()})", style="red")
        return Text(f"{answer.text} (not answered: the default)", style="dim")

    # --- saving and building -------------------------------------------------------------------------
    def save(self) -> None:
        """Save the finished profile; the draft it came from is no longer needed."""
        interview = self.interview
        self.saving = True
        path = self.save_path()
        command = program()
        original = self.editing or (self.draft_of if self.draft_of is not None and self.draft_of.is_file() else None)
        self.saved = interview.save(path, final=True, by="wizard", based_on=original)
        if self.draft is not None and self.draft.exists():
            self.draft.unlink()  # finished: the draft has done its work
            _remove_if_empty(self.draft.parent)
            self.draft = None
        self.console.print()
        self.say(f"Saved {display_path(path)}.", "bold green", wrap=False)
        if not self.options.build:
            self.say("Build the policy with this command:")
            self.command(f"{command} build {_quoted(display_path(path))}")

    def save_now(self) -> None:
        """!save: keep the answers so far as a draft, then carry on with the question that was asked."""
        self.keep_draft()
        assert self.draft is not None
        left = len(self.interview.unanswered())
        self.console.print()
        self.say(
            "Saved your answers so far as a draft"
            + (f"; {_plural(left, 'question')} still to answer." if left else "."),
            "bold green",
        )
        self.say("To stop now, type quit (or press Ctrl-C). Carry on later with this command:")
        self.command(self.resume_command())
        self.say("Or carry on answering:")

    def save_path(self) -> Path:
        target = self.target()
        if target is not None:
            return target
        path = self.folder / f"{self.interview.slug()}.yaml"
        while path.exists():
            self.console.print()
            self.say(f"{display_path(path)} already exists.", "yellow")
            if self.ask("Replace it? (y or n) [n]").lower() in ("y", "yes"):
                return path
            text = self.ask(f"Save as [{display_path(_free_name(path))}]") or str(_free_name(path))
            path = Path(text if text.endswith((".yaml", ".yml")) else text + ".yaml")
        return path

    def build(self) -> None:
        from policy_builder.build import FORMATS

        assert self.saved is not None
        # Every format, as the browser wizard builds: the staff summary and the leaflet come with the policy.
        built = self.interview.build(self.saved, self.options.out_dir, FORMATS)
        result = built.result
        self.say("Built the policy:", "bold")
        for path in built.files:
            self.say(f"  {display_path(path)}", wrap=False)
        if result.leaflet_level is not None:
            from policy_builder.render.plain import reading_in_words

            self.say(f"The leaflet is {reading_in_words(result.leaflet_level.grade)}.")
        counts = self.interview.count_gaps(result.warnings)
        # Said as the gap report says it: points still to decide are not findings (issue 17).
        still = f"; {counts.undecided} of them only because a question is not answered yet" if counts.undecided else ""
        self.say(f"Gaps: {counts.phrase()} (see the gap report{still}).")

    # --- input and output ----------------------------------------------------------------------
    def ask(self, label: str) -> str:
        while True:
            text = _KEY_CODES.sub("", click.prompt(label, default="", show_default=False, prompt_suffix=": ")).strip()
            if text.lower() == SAVE_LATER and not self.saving:
                self.save_now()
                continue
            if text.lower() in QUIT_WORDS:
                raise Quit
            return text

    def menu(self, label: str, count: int, *, default: int) -> int:
        while True:
            text = self.ask(f"{label} [{default}]")
            if not text:
                return default
            if text.isdigit() and 1 <= int(text) <= count:
                return int(text)
            self.warn(f"'{text}' is not one of the options: type a number from 1 to {count}.")

    def command(self, text: str) -> None:
        """A command to copy, on a line of its own: never folded at a word by rich (the terminal may only
        continue it on the next line when it is wider than the window)."""
        self.console.print(Text("  " + text), soft_wrap=True)

    def say(self, text: str, style: str | None = None, *, wrap: bool = True) -> None:
        # wrap=False for lines with paths and commands: rich would fold a long path mid-name.
        self.console.print(Text(text, style=style or ""), soft_wrap=not wrap)

    def warn(self, text: str) -> None:
        self.console.print(Text(text, style="red"))


def _label(question: Question) -> str:
    return {
        "choice": "Number",
        "multi": "Numbers, separated by commas",
        "boolean": "y or n",
        "date": "Date, such as 1 April 2027",
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


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only succeeds when empty: a drafts folder with nothing left goes
    except OSError:
        pass


def _free_name(path: Path) -> Path:
    for number in range(2, 1000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists():
            return candidate
    return path


__all__ = ["run_wizard", "WizardOptions", "Wizard"]
