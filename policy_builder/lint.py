"""Checking the clause library against its own rules (`policy-builder lint`).

Beyond what loading checks (ids unique, sources known, templates compile), lint
proves behaviour over answers: every clause renders for every combination of
the answers it uses, every group gives exactly one clause for every
combination, and every name a condition or text uses is a real question.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import TemplateError

from .errors import display_path
from .library import Library
from .models import Clause, LibrarySection, Question
from .questionnaire import AnswerError, build_context, can_be_unanswered, cast_answer, default_for, evaluate
from .templating import BlankAnswerError, referenced_names

MAX_COMBINATIONS = 20000
READABILITY_MARGIN = 22  # reading-ease points below the library median that count as "far harder"
LINT_DATE = dt.date(2026, 1, 15)
SAMPLE_REQUIRED = {
    "organisation.name": "Sample Borough Council",
    "organisation.nation": "england",
    "organisation.type": "local_authority",
    "organisation.services": ["children", "adults"],
    "document.owner": "Principal Social Worker",
}
TOP_LEVEL_NAMES = {"nation", "today", "review_date"}
DERIVED_FROM = {  # derived names -> the questions they depend on
    "nation": ["organisation.nation"],
    "review_date": ["document.effective_date", "document.review_months"],
}


def where(path: Any, line: int | None) -> str:
    return f"{display_path(path)}:{line}" if line else display_path(path)


class Linter:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.questions = library.questionnaire.questions
        self.namespaces = {qid.split(".")[0] for qid in self.questions}
        self.nation_fields = set().union(*(set(facts) for facts in library.nations.values()))
        self.problems: list[str] = []
        # Clauses a build holds open ("still to decide") when a question of fact is unanswered,
        # because they have no wording for None yet: not failures, but work for the clause's owner.
        self.held_open: list[str] = []

    # --- names ---------------------------------------------------------------------
    def unknown_names(self, names: Iterable[str]) -> list[str]:
        bad = []
        for name in names:
            head, _, attr = name.partition(".")
            if not attr:
                if (
                    head not in self.namespaces
                    and head not in TOP_LEVEL_NAMES
                    and head not in ("true", "false", "none")
                ):
                    bad.append(name)
            elif head in self.namespaces:
                if name not in self.questions:
                    bad.append(name)
            elif head == "nation":
                if attr not in self.nation_fields:
                    bad.append(name)
        return sorted(set(bad))

    def questions_used(self, names: Iterable[str]) -> list[str]:
        used: list[str] = []
        for name in names:
            head = name.split(".")[0]
            if name in self.questions:
                used.append(name)
            used.extend(DERIVED_FROM.get(head, []))
        ordered = [qid for qid in self.questions if qid in set(used)]
        return ordered

    # --- answers ---------------------------------------------------------------------
    def base_values(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(SAMPLE_REQUIRED)
        for qid, question in self.questions.items():
            if qid not in values:
                values[qid] = default_for(question, values, LINT_DATE)
        return values

    def samples(self, question: Question) -> list[Any]:
        pool = self._samples(question)
        if can_be_unanswered(question) and None not in pool:
            pool.append(None)  # a question of fact left unanswered: clauses must word None neutrally
        return pool

    def unanswered_in(self, values: dict[str, Any], qids: list[str]) -> list[str]:
        return [qid for qid in qids if values.get(qid) is None and can_be_unanswered(self.questions[qid])]

    def _samples(self, question: Question) -> list[Any]:
        qtype = question.type
        if qtype == "choice":
            return list(question.choice_values)
        if qtype == "boolean":
            return [True, False]
        if qtype == "multi":
            options = [
                question.default or [question.choice_values[0]],
                [question.choice_values[0]],
                question.choice_values,
            ]
            if question.id in SAMPLE_REQUIRED:
                options.insert(0, SAMPLE_REQUIRED[question.id])
            unique: list[list[str]] = []
            for option in options:
                if list(option) not in unique:
                    unique.append(list(option))
            return unique
        if qtype == "integer":
            return sorted({v for v in (question.minimum, question.default, question.maximum) if v is not None})
        if qtype == "date":
            return [LINT_DATE, LINT_DATE.replace(year=LINT_DATE.year - 3)]
        if question.id in SAMPLE_REQUIRED:
            return [SAMPLE_REQUIRED[question.id]]
        can_be_blank = not question.required and question.default is None and not question.default_from
        return ["Sample answer", None] if can_be_blank else ["Sample answer"]

    def combinations(self, qids: list[str], what: str) -> Iterator[dict[str, Any]] | None:
        pools = [self.samples(self.questions[qid]) for qid in qids]
        total = 1
        for pool in pools:
            total *= len(pool)
        if total > MAX_COMBINATIONS:
            self.problems.append(
                f"{what}: depends on {len(qids)} questions ({total} combinations of answers); split it so lint can prove it"
            )
            return None
        base = self.base_values()

        def generate() -> Iterator[dict[str, Any]]:
            seen: set[str] = set()
            for combo in itertools.product(*pools):
                values = dict(base)
                values.update(zip(qids, combo, strict=True))
                if "organisation.name" in values and "organisation.short_name" not in qids:
                    values["organisation.short_name"] = values["organisation.name"]
                values = self.normalise(values)
                key = repr(sorted((k, repr(values[k])) for k in qids))
                if key in seen:
                    continue
                seen.add(key)
                yield values

        return generate()

    def normalise(self, values: dict[str, Any]) -> dict[str, Any]:
        """Apply question `when`s as a real profile would: a question that does not apply keeps its default."""
        context = build_context(self.library.questionnaire, values, self.library.nations, LINT_DATE)
        changed = False
        for qid, question in self.questions.items():
            if question.when and not evaluate(question.when, context):
                default = default_for(question, values, LINT_DATE)
                if values[qid] != default:
                    values[qid] = default
                    changed = True
        return self.normalise(values) if changed else values

    def context(self, values: dict[str, Any]) -> dict[str, Any]:
        return build_context(self.library.questionnaire, values, self.library.nations, LINT_DATE)

    # --- checks ---------------------------------------------------------------------------
    def run(self) -> list[str]:
        self.check_questionnaire()
        for section in self.library.sections:
            self.check_section(section)
        self.check_groups()
        self.check_gap_rules()
        self.check_coverage()
        self.check_repeated_paragraphs()
        self.check_readability()
        self.check_versions()
        self.check_handouts()
        return self.problems

    def check_handouts(self) -> None:
        """Staff summary and leaflet wording: clauses exist, names are questions, every text renders."""
        from .errors import LibraryError
        from .render.summary import MAX_LEAFLET_GRADE, load_leaflet, load_summary, sample_leaflet_level

        clause_ids = {c.id for c in self.library.clauses}
        for load in (load_summary, load_leaflet):
            try:
                entries = load(self.library.root).entries
            except LibraryError as exc:
                self.problems.append(str(exc))
                continue
            for entry in entries:
                at = where(entry.path, entry.line)
                clause = getattr(entry, "clause", None)
                if clause is not None and clause not in clause_ids:
                    self.problems.append(f"{at}: clause '{clause}' is not in the library")
                names = referenced_names(entry.text)
                names |= referenced_names(entry.when, expression=True) if entry.when else set()
                unknown = self.unknown_names(names)
                self.problems.extend(f"{at}: uses unknown name '{name}'" for name in unknown)
                qids = self.questions_used(names)
                combos = None if unknown else self.combinations(qids, at)
                for values in combos or []:
                    context = self.context(values)
                    if entry.when and not evaluate(entry.when, context):
                        continue
                    try:
                        text = entry.template.render(context)
                    except (BlankAnswerError, TemplateError) as exc:
                        self.problems.append(f"{at}: fails to render when {self.describe(values, qids)}: {exc}")
                        break
                    if re.search(r"\{\{|\{%|\bNone\b|\bundefined\b", text) or not text.strip():
                        self.problems.append(f"{at}: renders as '{text[:60]}' when {self.describe(values, qids)}")
                        break
        if not any(p.startswith(where(self.library.root / "leaflet.yaml", None)) for p in self.problems):
            level = sample_leaflet_level(self.library, self.context(self.normalise(self.base_values())))
            if level.grade > MAX_LEAFLET_GRADE:
                self.problems.append(
                    f"{where(self.library.root / 'leaflet.yaml', None)}: reads at Flesch-Kincaid grade {level.grade:.1f} "
                    f"for a sample employer; keep it at {MAX_LEAFLET_GRADE:.0f} or below (a reading age of 12) "
                    "with shorter sentences and everyday words"
                )

    def check_questionnaire(self) -> None:
        q = self.library.questionnaire
        for question in self.questions.values():
            at = f"{where(q.path, question.line)}: {question.id}"
            for source in question.sources:
                if source not in self.library.items:
                    self.problems.append(f"{at}: unknown source id {source}")
            if question.when:
                for name in self.unknown_names(referenced_names(question.when, expression=True)):
                    self.problems.append(f"{at}: when names unknown question '{name}'")
            if question.default is not None and not question.default_from:
                try:
                    cast_answer(question, question.default)
                except AnswerError as exc:
                    self.problems.append(f"{at}: default {question.default!r} is not allowed: {exc}")

    def clause_names(self, clause: Clause, section: LibrarySection) -> tuple[set[str], set[str]]:
        text_names = referenced_names(clause.text)
        when_names = referenced_names(clause.when, expression=True) if clause.when else set()
        if section.when:
            when_names |= referenced_names(section.when, expression=True)
        return text_names, when_names

    def check_section(self, section: LibrarySection) -> None:
        if section.when:
            for name in self.unknown_names(referenced_names(section.when, expression=True)):
                self.problems.append(f"{where(section.path, 1)}: section when names unknown question '{name}'")
        for clause in section.clauses:
            at = f"{where(clause.path, clause.line)}: {clause.id}"
            text_names, when_names = self.clause_names(clause, section)
            unknown = self.unknown_names(text_names | when_names)
            for name in unknown:
                self.problems.append(f"{at}: uses unknown name '{name}'")
            if unknown:
                continue
            qids = self.questions_used(text_names | when_names)
            combos = self.combinations(qids, at)
            if combos is None:
                continue
            template = self.library.templates[clause.id]
            for values in combos:
                context = self.context(values)
                if section.when and not evaluate(section.when, context):
                    continue
                if clause.when and not evaluate(clause.when, context):
                    continue
                try:
                    text = template.render(context)
                except (BlankAnswerError, TemplateError) as exc:
                    if isinstance(exc, BlankAnswerError) and self.unanswered_in(values, qids):
                        self.held_open.append(
                            f"{at}: prints an unanswered question, so a build holds it open, when"
                            f" {self.describe(values, qids)}"
                        )
                        break
                    self.problems.append(f"{at}: fails to render when {self.describe(values, qids)}: {exc}")
                    break
                leftover = re.search(r"\{\{|\{%|\bNone\b|\bundefined\b", text)
                if leftover:
                    self.problems.append(
                        f"{at}: rendered text contains '{leftover.group(0)}' when {self.describe(values, qids)}"
                    )
                    break
                layout = re.search(r"[.;:,)]- \w|\S {2,}\S", text)
                if layout:
                    self.problems.append(
                        f"{at}: rendered text has '{layout.group(0)}' (a list item joined to the line before, or a"
                        f" double space; put {{% if %}} and {{% endif %}} on lines of their own) when"
                        f" {self.describe(values, qids)}"
                    )
                    break
                if not text.strip():
                    self.problems.append(f"{at}: renders as empty text when {self.describe(values, qids)}")
                    break

    def check_groups(self) -> None:
        groups: dict[str, list[tuple[LibrarySection, Clause]]] = {}
        for section in self.library.sections:
            for clause in section.clauses:
                if clause.group:
                    groups.setdefault(clause.group, []).append((section, clause))
        for group, members in groups.items():
            sections = {s.id for s, _ in members}
            first = members[0][1]
            at = f"{where(first.path, first.line)}: group '{group}'"
            if len(sections) > 1:
                self.problems.append(f"{at}: members are in more than one section ({', '.join(sorted(sections))})")
                continue
            if len(members) < 2:
                self.problems.append(f"{at}: a group needs at least two alternative clauses")
            section = members[0][0]
            names: set[str] = set()
            for _, clause in members:
                names |= self.clause_names(clause, section)[1]
            if self.unknown_names(names):
                continue  # already reported per clause
            qids = self.questions_used(names)
            combos = self.combinations(qids, at)
            if combos is None:
                continue
            for values in combos:
                context = self.context(values)
                if section.when and not evaluate(section.when, context):
                    continue
                chosen = [c.id for _, c in members if not c.when or evaluate(c.when, context)]
                if not chosen and self.unanswered_in(values, qids):
                    self.held_open.append(
                        f"{at}: has no clause for an unanswered question, so a build holds it open, when"
                        f" {self.describe(values, qids)}"
                    )
                    break
                if len(chosen) != 1:
                    found = ", ".join(chosen) if chosen else "no clause"
                    self.problems.append(
                        f"{at}: gives {found} when {self.describe(values, qids)}; exactly one must apply"
                    )
                    break

    def check_gap_rules(self) -> None:
        base_context = self.context(self.normalise(self.base_values()))
        for rule in self.library.gap_rules:
            at = f"{where(rule.path, rule.line)}: {rule.id}"
            for name in self.unknown_names(referenced_names(rule.when, expression=True)):
                self.problems.append(f"{at}: when names unknown question '{name}'")
            for qid in rule.questions:
                if qid not in self.questions:
                    self.problems.append(f"{at}: questions: unknown question '{qid}'")
            for source in rule.sources:
                if source not in self.library.items:
                    self.problems.append(f"{at}: unknown source id {source}")
            try:
                evaluate(rule.when, base_context)
            except TemplateError as exc:
                self.problems.append(f"{at}: when fails: {exc}")

    def check_coverage(self) -> None:
        from .coverage import coverage

        report = coverage(self.library)
        for item in report.uncovered:
            self.problems.append(
                f"{where(self.library.root / 'sources.yaml', None)}: item {item} is cited by no clause; "
                "cite it or mark it not_applicable with a reason"
            )

    def check_repeated_paragraphs(self) -> None:
        seen: dict[str, str] = {}
        for clause in self.library.clauses:
            for paragraph in re.split(r"\n\s*\n", clause.text):
                normal = " ".join(paragraph.split()).lower()
                if len(normal.split()) < 12:
                    continue
                other = seen.get(normal)
                if other and other != clause.id:
                    self.problems.append(
                        f"{where(clause.path, clause.line)}: {clause.id}: repeats a paragraph of {other}"
                    )
                seen.setdefault(normal, clause.id)

    def check_versions(self) -> None:
        from .versions import version_problems

        clauses = self.library.clauses
        for clause in clauses:
            if clause.updated is None:
                self.problems.append(
                    f"{where(clause.path, clause.line)}: {clause.id}: 'updated' (the date it last changed) is required"
                )
        self.problems.extend(
            version_problems(clauses, self.library.history, lambda c: f"{where(c.path, c.line)}: {c.id}")
        )
        changelog = self.library.root / "CHANGELOG.md"
        if not changelog.exists() or f"## {self.library.version}" not in changelog.read_text(encoding="utf-8"):
            self.problems.append(
                f"{where(changelog, None)}: no '## {self.library.version}' entry for the library version in clauses/library.yaml"
            )

    def check_readability(self) -> None:
        from .readability import measure

        readability = measure(self.library)
        floor = readability.median_reading_ease - READABILITY_MARGIN
        for result in readability.clauses:
            if result.reading_ease < floor:
                clause = self.library.clause(result.id)
                self.problems.append(
                    f"{where(clause.path, clause.line)}: {clause.id}: far harder to read than the rest of the library "
                    f"(Flesch reading ease {result.reading_ease:.0f}, library median {readability.median_reading_ease:.0f});"
                    " use shorter sentences and plainer words"
                )

    @staticmethod
    def describe(values: dict[str, Any], qids: list[str]) -> str:
        parts = []
        for qid in qids:
            value = values.get(qid)
            parts.append(f"{qid}={value.isoformat() if isinstance(value, dt.date) else value!r}")
        return ", ".join(parts) if parts else "for any answers"


def lint_library(library: Library) -> list[str]:
    """All problems found, as 'path:line: what' lines; empty when the library is sound."""
    return Linter(library).run()


def lint_report(library: Library) -> tuple[list[str], list[str]]:
    """(problems, clauses held open for an unanswered question): the second list does not fail lint."""
    linter = Linter(library)
    return linter.run(), linter.held_open
