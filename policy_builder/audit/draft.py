"""A draft profile from an employer's current policy: the answers its text settles, each with its quote.

`policy-builder audit FILE --profile-out draft.yaml` writes it; `wizard --from-policy FILE` and the
browser's "Start from our current policy" start the questionnaire from it. Questions the text does
not settle are left out, so the wizard asks them and the build marks them as still to decide.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.audit.infer import Conflict, Inference, Inferred, PassageLike, infer
from policy_builder.core.errors import OutputError, display_path

if TYPE_CHECKING:
    from policy_builder.content.library import Library
    from policy_builder.content.models import Question
    from policy_builder.interview.session import StartingAnswers

COMMENT_WIDTH = 96  # comment lines wrap here, so a draft reads well in any editor


@dataclass
class PolicyDraft:
    """What a policy's text settles, ready to become a profile or to start a wizard from."""

    source: str  # the policy's file name, as the manager knows it
    answers: list[Inferred] = field(default_factory=list)  # in questionnaire order
    conflicts: list[Conflict] = field(default_factory=list)  # answered two ways: left for the manager
    left_out: list[Inferred] = field(default_factory=list)  # settled, but the question does not apply

    def values(self) -> dict[str, Any]:
        return {item.question_id: item.value for item in self.answers}

    def evidence(self) -> dict[str, Inferred]:
        return {item.question_id: item for item in self.answers}


def draft_from_passages(library: Library, passages: Iterable[PassageLike], source: str) -> PolicyDraft:
    """Infer the answers, then drop those whose question does not apply given the others (a list of
    approved apps where messaging apps are not allowed): a profile keeps only answers that count."""
    from policy_builder.interview.session import Interview

    passages = list(passages)
    inference = infer(passages, library.questionnaire)
    # a question the text answers two ways stays open: the scope's one word ("NHS.uk") must not settle it
    settled = {item.question_id for item in inference.answers} | {c.question_id for c in inference.conflicts}
    inference.answers[:0] = _scope_answers(library, passages, settled, inference)
    interview = Interview(library, answers={item.question_id: item.value for item in inference.answers})
    not_applicable = set(interview.not_applicable())
    return PolicyDraft(
        source=source,
        answers=[item for item in inference.answers if item.question_id not in not_applicable],
        conflicts=[c for c in inference.conflicts if c.question_id not in not_applicable],
        left_out=[item for item in inference.answers if item.question_id in not_applicable],
    )


SCOPE_QUESTIONS = {"nation": "organisation.nation", "employer_type": "organisation.type"}


def _scope_answers(
    library: Library, passages: Sequence[PassageLike], answered: set[str], inference: Inference
) -> list[Inferred]:
    """The nation and employer type the audit judges by, where the document states them ("Social Care Wales",
    "the Council"): the draft answers them with that passage, so the report and the wizard agree. The type the
    document says it is ("X is a voluntary adoption agency") replaces one read from another body it names."""
    from policy_builder.audit.api import infer_scope, matcher_for

    config = matcher_for(library).config
    scope = infer_scope(passages, config=config)  # type: ignore[arg-type]  # reads only .text and .heading
    if scope.self_described and scope.employer_type is not None:
        question_id = SCOPE_QUESTIONS["employer_type"]
        inference.answers[:] = [a for a in inference.answers if a.question_id != question_id]
        inference.conflicts[:] = [c for c in inference.conflicts if c.question_id != question_id]
        answered = answered - {question_id}
    found = []
    for key, question_id in SCOPE_QUESTIONS.items():
        value, word = getattr(scope, key), scope.evidence.get(key)
        question = library.questionnaire.questions.get(question_id)
        if value is None or word is None or question is None or question_id in answered:
            continue
        if question.choices and value not in question.choice_values:
            continue
        passage = next((p for p in passages if word in p.text), None) or next(
            (p for p in passages if word in p.heading), None
        )
        if passage is None:
            continue
        found.append(Inferred(question_id, value, passage.text, passage.where, 0.8))
    return found


def draft_from_policy(library: Library, path: Path, *, source: str | None = None) -> PolicyDraft:
    """Read the policy at ``path`` (.docx, .md, .txt or .pdf) and infer its answers; one-line errors."""
    from policy_builder.audit.api import matcher_for
    from policy_builder.audit.match import column_modality
    from policy_builder.audit.read import read_passages

    config = matcher_for(library).config
    passages = read_passages(path, lambda heading: column_modality(config, heading) is not None)
    return draft_from_passages(library, passages, source or path.name)


# --- the words a manager reads ------------------------------------------------------------------------


def where_words(item: Inferred) -> str:
    """'section 4.2, paragraph 3 (confidence 0.85)'."""
    return f"{item.where} (confidence {item.confidence:.2f})"


def starting_answers(library: Library, path: Path, source: str | None = None) -> StartingAnswers:
    """What a wizard starts from: the answers the policy at ``path`` settles, each with its passage."""
    from policy_builder.interview.session import Reason, StartingAnswers

    draft = draft_from_policy(library, path, source=source)
    questions = library.questionnaire.questions
    count = len(draft.answers)
    notices = [
        f"{count} answer{'s' if count != 1 else ''} taken from your current policy ({draft.source}); check each: "
        "the passage it came from is shown with its question."
    ]
    for conflict in draft.conflicts:
        notices.append(
            f"Your policy answers this two ways, so it is left for you: {questions[conflict.question_id].prompt}"
        )
    return StartingAnswers(
        answers=draft.values(),
        reasons={item.question_id: Reason(where=item.where, quote=item.quote) for item in draft.answers},
        notices=notices,
    )


def answer_comments(item: Inferred) -> list[str]:
    more = ""
    if item.agreeing:
        more = "; 1 more passage agrees" if item.agreeing == 1 else f"; {item.agreeing} more passages agree"
    lines = [f"From your policy, {item.where} (confidence {item.confidence:.2f}{more}):"]
    lines += textwrap.wrap(f'"{item.quote}"', COMMENT_WIDTH - 4, initial_indent="  ", subsequent_indent="  ")
    return lines


def draft_header(library: Library, draft: PolicyDraft, *, profile: Path | None, today: dt.date) -> str:
    from policy_builder.interview.session import program

    questions = library.questionnaire.questions
    name = draft.values().get("organisation.name") or "your organisation"
    lines = [
        f"Social media policy answers for {name}, first read from {draft.source} by policy-builder audit on {today}.",
        "Check every answer before you rely on it. The comment above each answer says where in that policy it",
        "came from and how sure the reading was (confidence 0 to 1); it records what the policy said, so it",
        "stays if you change the answer. Questions the policy does not settle are left out: still to decide.",
    ]
    for conflict in draft.conflicts:
        question = questions[conflict.question_id]
        lines.append(f"Your policy answers this two ways, so it is left for you: {question.prompt}")
        for value, quote, where in conflict.quotes:
            said = "allows something none of the answers describes" if value is None else describe(question, value)
            lines += textwrap.wrap(
                f'{where} ({said}): "{quote}"', COMMENT_WIDTH - 4, initial_indent="  ", subsequent_indent="    "
            )
    if profile is not None:
        lines.append(f"Check and finish the answers with: {program()} wizard --profile {display_path(profile)}")
    return "\n".join(lines)


def describe(question: Question, value: Any) -> str:
    from policy_builder.content.questionnaire import describe_answer

    return describe_answer(question, value)


def write_draft_profile(
    library: Library, draft: PolicyDraft, path: Path, *, force: bool = False, today: dt.date | None = None
) -> list[str]:
    """Write the draft profile atomically; the required questions it still lacks (for the caller to say).

    An existing file is replaced only with ``force``: a draft must never overwrite a finished profile
    a manager has checked. The text is read back with the profile reader before it is written.
    """
    from policy_builder.pipeline.profile_edit import save_profile

    if path.exists() and not force:
        raise OutputError(f"{display_path(path)} already exists; add --force to replace it, or choose another name")
    if path.is_dir():
        raise OutputError(f"{display_path(path)} is a folder; give the name of the profile file to write")
    header = draft_header(library, draft, profile=path, today=today or dt.date.today())
    comments = {item.question_id: answer_comments(item) for item in draft.answers}
    save_profile(
        path,
        draft.values(),
        library.questionnaire,
        library.nations,
        complete=False,
        header=header,
        questionnaire_version=library.questionnaire.version,
        based_on=path.parent / ".policy-builder-no-such-file",  # a fresh layout, never the file replaced
        comments=comments,
    )
    return missing_required(library, draft.values())


def missing_required(library: Library, values: dict[str, Any]) -> list[str]:
    return [qid for qid, question in library.questionnaire.questions.items() if question.required and qid not in values]


def summary_lines(library: Library, draft: PolicyDraft) -> Sequence[str]:
    """What the terminal says about a draft: how many answers, and which questions it answers two ways."""
    questions = library.questionnaire.questions
    count = len(draft.answers)
    lines = [f"{count} answer{'s' if count != 1 else ''} taken from {draft.source}."]
    for conflict in draft.conflicts:
        lines.append(f"Answered two ways in {draft.source}, left for you: {questions[conflict.question_id].prompt}")
    return lines
