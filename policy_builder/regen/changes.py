"""What changed between two issued policies: clauses, wording, answers and gaps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.core.templating import markdown_escape
from policy_builder.core.worddiff import word_diff_markdown, word_diff_terminal
from policy_builder.render.plain import words_date

if TYPE_CHECKING:
    from policy_builder.content.models import Questionnaire


@dataclass
class ClauseChange:
    id: str
    title: str
    old_number: str | None
    new_number: str | None
    old_version: int | None = None
    new_version: int | None = None
    old_text: str = ""
    new_text: str = ""
    local: str | None = None


@dataclass
class Changes:
    old: dict[str, Any]
    new: dict[str, Any]
    added: list[ClauseChange] = field(default_factory=list)
    removed: list[ClauseChange] = field(default_factory=list)
    reworded: list[ClauseChange] = field(default_factory=list)
    answers: list[tuple[str, Any, Any]] = field(default_factory=list)
    new_gaps: list[dict[str, Any]] = field(default_factory=list)
    resolved_gaps: list[dict[str, Any]] = field(default_factory=list)
    # Questions the old issue's questionnaire did not have: their answers are first answers, not changes.
    new_questions: set[str] = field(default_factory=set)
    # The questions, so readers see each changed answer in words: its question and the chosen labels.
    questionnaire: Questionnaire | None = None

    def before(self, qid: str, value: Any) -> str:
        return "(new question)" if qid in self.new_questions else show(value)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.answers or self.new_gaps or self.resolved_gaps)

    def summary_line(self) -> str:
        parts = [
            _count(len(self.added), "clause added", "clauses added"),
            _count(len(self.removed), "clause removed", "clauses removed"),
            _count(len(self.reworded), "clause reworded", "clauses reworded"),
            _count(len(self.answers), "answer changed", "answers changed"),
            _count(len(self.new_gaps), "new gap", "new gaps"),
            _count(len(self.resolved_gaps), "gap resolved", "gaps resolved"),
        ]
        shown = [part for part in parts if not part.startswith("0 ")]
        return "; ".join(shown) if shown else "no changes"

    def as_dict(self) -> dict[str, Any]:
        def clause(c: ClauseChange) -> dict[str, Any]:
            data: dict[str, Any] = {
                "id": c.id,
                "title": c.title,
                "old_number": c.old_number,
                "new_number": c.new_number,
            }
            if c.old_text or c.new_text:
                data.update(
                    old_version=c.old_version,
                    new_version=c.new_version,
                    diff=word_diff_markdown(c.old_text, c.new_text),
                )
            return data

        return {
            "old": _issue(self.old),
            "new": _issue(self.new),
            "clauses_added": [clause(c) for c in self.added],
            "clauses_removed": [clause(c) for c in self.removed],
            "clauses_reworded": [clause(c) for c in self.reworded],
            "answers_changed": [
                {"question": q, "old": o, "new": n, "new_question": q in self.new_questions} for q, o, n in self.answers
            ],
            "gaps_new": self.new_gaps,
            "gaps_resolved": self.resolved_gaps,
        }


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _issue(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "organisation": manifest.get("organisation"),
        "version": manifest.get("document", {}).get("version"),
        "built": manifest.get("built"),
        "library_version": manifest.get("library", {}).get("version"),
    }


def other_organisation(changes: Changes) -> str | None:
    """The old issue's organisation when it is not the new one's (case and spacing aside), else None."""
    old, new = (str(_issue(m)["organisation"] or "") for m in (changes.old, changes.new))
    if old.strip() and new.strip() and " ".join(old.casefold().split()) != " ".join(new.casefold().split()):
        return old
    return None


def compare(old: dict[str, Any], new: dict[str, Any], questionnaire: Questionnaire | None = None) -> Changes:
    changes = Changes(old=old, new=new, questionnaire=questionnaire)
    old_clauses = {c["id"]: c for c in old.get("clauses", [])}
    new_clauses = {c["id"]: c for c in new.get("clauses", [])}
    for cid, c in new_clauses.items():
        if cid not in old_clauses:
            changes.added.append(
                ClauseChange(
                    cid,
                    c["title"],
                    None,
                    c["number"],
                    new_version=c.get("version"),
                    new_text=c.get("text") or "",
                    local=c.get("local"),
                )
            )
        elif old_clauses[cid]["sha256"] != c["sha256"]:
            o = old_clauses[cid]
            changes.reworded.append(
                ClauseChange(
                    cid,
                    c["title"],
                    o["number"],
                    c["number"],
                    old_version=o.get("version"),
                    new_version=c.get("version"),
                    old_text=o.get("text") or "",
                    new_text=c.get("text") or "",
                    local=c.get("local"),
                )
            )
    for cid, o in old_clauses.items():
        if cid not in new_clauses:
            changes.removed.append(ClauseChange(cid, o["title"], o["number"], None, old_version=o.get("version")))
    old_answers, new_answers = old.get("answers", {}), new.get("answers", {})
    # A manifest records every question of its questionnaire, so one it lacks was added since.
    changes.new_questions = {qid for qid in new_answers if old_answers and qid not in old_answers}
    for qid in [*new_answers, *[q for q in old_answers if q not in new_answers]]:
        before, after = old_answers.get(qid), new_answers.get(qid)
        if before != after:
            changes.answers.append((qid, before, after))
    old_gaps = {g["id"]: g for g in old.get("gaps", [])}
    new_gaps = {g["id"]: g for g in new.get("gaps", [])}
    changes.new_gaps = [g for gid, g in new_gaps.items() if gid not in old_gaps]
    changes.resolved_gaps = [g for gid, g in old_gaps.items() if gid not in new_gaps]
    return changes


def show(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return str(value)


def question_words(changes: Changes, qid: str) -> str:
    """The question as readers see it (its prompt); the id only for a question no longer asked."""
    question = changes.questionnaire.questions.get(qid) if changes.questionnaire else None
    return question.prompt if question is not None else qid


def answer_words(changes: Changes, qid: str, value: Any) -> str:
    """An answer in words: a choice's label ("Yes, but only to keep in touch"), a date as 1 April 2027."""
    question = changes.questionnaire.questions.get(qid) if changes.questionnaire else None
    if value is None or value == "":
        return "no answer"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        labels = [question.label_of(str(v)) if question else str(v) for v in value]
        return ", ".join(labels) or "none"
    if question is not None and question.choices:
        return question.label_of(str(value))
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return words_date(value)
    return str(value)


def render_markdown(changes: Changes) -> str:
    """A summary of changes a board can approve."""
    old, new = _issue(changes.old), _issue(changes.new)
    lines = [
        f"# Summary of changes: {markdown_escape(str(new['organisation']))}",
        "",
        f"Social Media and Digital Contact Policy, version {old['version']} ({words_date(old['built'])}, clause "
        f"library {old['library_version']}) to version {new['version']} ({words_date(new['built'])}, clause library "
        f"{new['library_version']}).",
        "",
        f"In short: {changes.summary_line()}.",
        "",
    ]
    other = other_organisation(changes)
    if other is not None:
        lines[4:4] = [
            f"The earlier issue is {markdown_escape(other)}'s policy, not {markdown_escape(str(new['organisation']))}'s.",
            "",
        ]
    if changes.empty:
        lines += ["The two issues are the same.", ""]
    if changes.added:
        lines += ["## Clauses added", ""]
        for c in changes.added:
            marker = " (local wording)" if c.local else ""
            lines.append(f"- {_md(c.new_number)} {_md(c.title)}{marker}")
        lines.append("")
    if changes.removed:
        lines += ["## Clauses removed", ""]
        lines += [f"- {_md(c.old_number)} {_md(c.title)}" for c in changes.removed]
        lines.append("")
    if changes.reworded:
        lines += ["## Clauses reworded", "", "Removed words are ~~struck through~~; added words are in **bold**.", ""]
        for c in changes.reworded:
            number = c.new_number if c.old_number == c.new_number else f"{c.old_number} → {c.new_number}"
            version = f" (library version {c.old_version} → {c.new_version})" if c.old_version != c.new_version else ""
            lines += [
                f"### {_md(number)} {_md(c.title)}{version}",
                "",
                _no_html(word_diff_markdown(c.old_text, c.new_text)),
                "",
            ]
    if changes.answers:
        lines += ["## Answers changed", "", "| Question | Before | After |", "| --- | --- | --- |"]
        for qid, before, after in changes.answers:
            cells = (
                question_words(changes, qid),
                "(new question)" if qid in changes.new_questions else answer_words(changes, qid, before),
                answer_words(changes, qid, after),
            )
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    if changes.new_gaps:
        lines += ["## New gaps", ""]
        lines += [f"- **{_md(g['severity'])}**: {_md(g['message'])}" for g in changes.new_gaps]
        lines.append("")
    if changes.resolved_gaps:
        lines += ["## Gaps resolved", ""]
        lines += [f"- {_md(g['severity'])}: {_md(g['message'])}" for g in changes.resolved_gaps]
        lines.append("")
    owner = (changes.new.get("answers") or {}).get("document.owner")
    lines += [
        "This summary is available in other formats, such as large print, on request"
        + (f" to the policy owner ({markdown_escape(str(owner))})." if owner else "."),
        "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def _md(text: object) -> str:
    """Text read from a manifest (which a person may have edited): shown as typed, never as Markdown or HTML."""
    return markdown_escape(str(text))


def _code(text: str) -> str:
    """A question id in a code span; a backtick in a hand-edited id must not end the span early."""
    return f"`{str(text).replace('`', chr(39))}`"


def _no_html(markdown: str) -> str:
    """A word diff of clause texts keeps their Markdown, but raw HTML from a hand-edited manifest is shown as text."""
    from policy_builder.content.local import without_raw_html

    return without_raw_html(markdown)


def _cell(text: str) -> str:
    # Answers come from profiles: data, shown exactly as typed, never Markdown.
    return markdown_escape(text)


def render_terminal(changes: Changes) -> str:
    old, new = _issue(changes.old), _issue(changes.new)
    other = other_organisation(changes)
    whose = f"from {other}'s policy to {new['organisation']}'s" if other is not None else f"for {new['organisation']}"
    out = [
        f"Changes {whose}: version {old['version']} ({old['built']}) -> {new['version']} ({new['built']})",
        f"Clause library {old['library_version']} -> {new['library_version']}",
        changes.summary_line(),
    ]
    for c in changes.added:
        out.append(f"  + {c.new_number} {c.title}" + (" (local)" if c.local else ""))
    for c in changes.removed:
        out.append(f"  - {c.old_number} {c.title}")
    for c in changes.reworded:
        out.append(f"  ~ {c.new_number} {c.title}")
        out.append(f"      {word_diff_terminal(c.old_text, c.new_text)}")
    for qid, before, after in changes.answers:
        out.append(f"  answer {qid}: {changes.before(qid, before)} -> {show(after)}")
    for g in changes.new_gaps:
        out.append(f"  new gap [{g['severity']}]: {g['message']}")
    for g in changes.resolved_gaps:
        out.append(f"  resolved gap [{g['severity']}]: {g['message']}")
    return "\n".join(out) + "\n"


def history_summary(changes: Changes) -> str:
    """One line for the version-history table."""
    if changes.empty:
        return "Reissued with no changes to clauses or answers."
    return changes.summary_line()[0].upper() + changes.summary_line()[1:] + "."


def since_markdown(changes: Changes) -> str:
    """The short 'changes since' list that goes inside the new policy."""
    items = []
    for c in changes.added:
        items.append(f"- Added {_md(c.new_number)} {_md(c.title)}.")
    for c in changes.removed:
        items.append(f'- Removed the clause "{_md(c.title)}" (was {_md(c.old_number)}).')
    for c in changes.reworded:
        items.append(f"- Reworded {_md(c.new_number)} {_md(c.title)}.")
    for qid, before, after in changes.answers:
        question = markdown_escape(question_words(changes, qid))
        before_words, after_words = (markdown_escape(answer_words(changes, qid, v)) for v in (before, after))
        if qid in changes.new_questions:
            items.append(f"- Answered the new question \u201c{question}\u201d: \u201c{after_words}\u201d.")
        else:
            items.append(
                f"- Changed the answer to \u201c{question}\u201d from \u201c{before_words}\u201d to \u201c{after_words}\u201d."
            )
    return "\n".join(items) if items else "No changes to clauses or answers."


def redline_author(changes: Changes) -> str:
    """Whose revisions the redline's are: the clause library release the new policy was built from."""
    version = changes.new.get("library", {}).get("version") or "unknown"
    return f"Clause library {version}"


def render_redline(changes: Changes, old: Path, new: Path, target: Path) -> bytes:
    """The new policy's Word file with every change from the old one as a tracked change.

    Made from the two Word files, so both must be .docx; each revision is authored as the new policy's
    clause library release and dated the day the new policy was built."""
    from policy_builder.core.errors import PolicyBuilderError, display_path
    from policy_builder.render.docx.redline import RedlineError, render_redline_docx

    if target.suffix.lower() != ".docx":
        raise PolicyBuilderError(f"--redline: {display_path(target)} must end in .docx (it is a Word document)")
    for path in (old, new):
        if path.suffix.lower() != ".docx":
            raise PolicyBuilderError(
                f"--redline: {display_path(path)} is not a .docx; the redline is made from the two policies' "
                "Word files (OLD and NEW as .docx)"
            )
    built = str(changes.new.get("built") or "")
    date = f"{built}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", built) else "1970-01-01T00:00:00Z"
    try:
        return render_redline_docx(old.read_bytes(), new.read_bytes(), redline_author(changes), date)
    except RedlineError as exc:
        raise PolicyBuilderError(f"--redline: {exc}") from None
