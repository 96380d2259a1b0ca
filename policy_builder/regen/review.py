"""Is an issued policy due for review? (`policy-builder check`, for scheduled jobs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from policy_builder.content.library import Library
from policy_builder.core.errors import display_path


def check_target(library: Library, target: Path, today: dt.date | None = None) -> tuple[list[str], bool]:
    """Lines to print, and whether the policy is due (past review, or built from an older library)."""
    today = today or dt.date.today()
    if target.suffix.lower() in (".yaml", ".yml"):
        return _check_profile(library, target, today)
    from policy_builder.regen.manifest import read_manifest

    return _check_policy(library, read_manifest(target), target, today)


def _check_profile(library: Library, path: Path, today: dt.date) -> tuple[list[str], bool]:
    from policy_builder.content.questionnaire import review_date
    from policy_builder.pipeline.profile import load_profile

    answers = load_profile(path, library.questionnaire, library.nations, build_date=today)
    due_date = review_date(answers.values, today)
    lines = [f"{display_path(path)}: next review {due_date.isoformat()}"]
    due = due_date < today
    if due:
        lines.append(f"Review overdue: the review date {due_date.isoformat()} has passed.")
    if answers.new_questions:
        lines.append(f"New questions to answer: {', '.join(answers.new_questions)}")
    if not due:
        lines.append("Not due for review.")
    return lines, due


def _check_policy(library: Library, manifest: dict[str, Any], path: Path, today: dt.date) -> tuple[list[str], bool]:
    document = manifest.get("document", {})
    review = dt.date.fromisoformat(document["review_date"])
    built_with = manifest.get("library", {}).get("version")
    lines = [
        f"{display_path(path)}: {manifest.get('organisation')}, version {document.get('version')}, built "
        f"{manifest.get('built')} with clause library {built_with}; next review {review.isoformat()}"
    ]
    due = False
    if review < today:
        due = True
        lines.append(f"Review overdue: the review date {review.isoformat()} has passed.")
    if built_with != library.version:
        due = True
        lines.append(f"Built from clause library {built_with}; the current library is {library.version}.")
    changed = changed_clauses(library, manifest, path)
    if changed:
        due = True
        lines.append("Clauses that would change if the policy were rebuilt now:")
        lines.extend(f"  {line}" for line in changed)
    asked = new_questions(library, manifest, path)
    if asked:
        due = True
        lines.append(
            "New questions since this policy was built (answer them with "
            "'policy-builder wizard --profile PROFILE --only-new'):"
        )
        lines.extend(f"  {qid}: {library.questionnaire.questions[qid].prompt}" for qid in asked)
    if not due:
        lines.append("Not due for review.")
    return lines, due


def changed_clauses(library: Library, manifest: dict[str, Any], path: Path | None = None) -> list[str]:
    """Rebuild from the answers the policy recorded, and list the clauses whose text would differ."""
    from policy_builder.content.questionnaire import resolve_answers
    from policy_builder.pipeline.assemble import build_policy
    from policy_builder.regen.changes import compare
    from policy_builder.regen.manifest import build_manifest

    known = {qid: v for qid, v in manifest.get("answers", {}).items() if qid in library.questionnaire.questions}
    built = dt.date.fromisoformat(manifest["built"])
    # The recorded answers are read like a profile's: a wrong one is an error naming the policy it came from.
    answers = resolve_answers(library.questionnaire, known, library.nations, path=path, build_date=built)
    current = build_manifest(library, build_policy(library, answers), [])
    recorded = dict(manifest)
    recorded["clauses"] = [c for c in manifest.get("clauses", []) if not c.get("local")]
    result = compare(recorded, current)
    lines = [f"+ {c.new_number} {c.title} (new)" for c in result.added]
    lines += [f"- {c.old_number} {c.title} (removed)" for c in result.removed]
    lines += [
        f"~ {c.new_number} {c.title} (version {c.old_version} -> {c.new_version})"
        if c.old_version != c.new_version
        else f"~ {c.new_number} {c.title} (reworded)"
        for c in result.reworded
    ]
    return lines


def new_questions(library: Library, manifest: dict[str, Any], path: Path | None = None) -> list[str]:
    """Questions added since the policy's questionnaire that apply to its recorded answers: the ones
    `wizard --only-new` asks. A manifest records every question its questionnaire had, so a question
    it does not mention is new to it."""
    from policy_builder.content.questionnaire import build_context, evaluate, resolve_answers, version_key

    recorded = manifest.get("answers", {})
    written_for = manifest.get("library", {}).get("questionnaire_version")
    questions = library.questionnaire.questions
    fresh = [
        qid
        for qid, question in questions.items()
        if qid not in recorded and (written_for is None or version_key(question.since) > version_key(written_for))
    ]
    if not fresh:
        return []
    known = {qid: v for qid, v in recorded.items() if qid in questions}
    built = dt.date.fromisoformat(manifest["built"])
    answers = resolve_answers(library.questionnaire, known, library.nations, path=path, build_date=built)
    context = build_context(library.questionnaire, answers.values, library.nations, built)
    return [qid for qid in fresh if not (when := questions[qid].when) or evaluate(when, context)]


def nation_of(target: Path, library: Library) -> str | None:
    """The nation a policy (its manifest's answers) or profile is for; None when it cannot be read."""
    try:
        if target.suffix.lower() in (".yaml", ".yml"):
            from policy_builder.pipeline.profile import load_profile

            return load_profile(target, library.questionnaire, library.nations).values.get("organisation.nation")
        from policy_builder.regen.manifest import read_manifest

        nation = read_manifest(target).get("answers", {}).get("organisation.nation")
    except Exception:  # noqa: BLE001 - check_target has already reported a file it cannot read
        return None
    return nation if isinstance(nation, str) else None
