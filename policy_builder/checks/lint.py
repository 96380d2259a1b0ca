"""Checking the clause library against its own rules (`policy-builder lint`).

Beyond what loading checks (ids unique, sources known, templates compile), lint
proves behaviour over answers: every clause renders for every combination of
the answers it uses, every group gives exactly one clause for every
combination, and every name a condition or text uses is a real question.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml
from jinja2 import TemplateError, nodes

from policy_builder.content.library import Library
from policy_builder.content.models import Clause, LibrarySection, Question
from policy_builder.content.questionnaire import (
    BUILD_DATE,
    DERIVED_FROM,
    AnswerError,
    build_context,
    can_be_unanswered,
    cast_answer,
    default_for,
    evaluate,
)
from policy_builder.core.errors import LibraryError, display_path, os_reason
from policy_builder.core.templating import ENV, BlankAnswerError, referenced_names
from policy_builder.pipeline.rules import Contradiction, InForce

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
TOP_LEVEL_NAMES = {"nation", "today", "review_date", "draft"}


# The covering set of stances (check_rules) is built for every nation with every employer type,
# except these pairs, which no real employer is: councils in Northern Ireland do not employ
# social workers (health and social care trusts do).
IMPOSSIBLE_EMPLOYERS = frozenset({("northern_ireland", "local_authority")})
# Stance questions: the answers that choose clauses and rules. Choice, yes/no, multi and whole-number
# questions outside the organisation and document sections, plus these two organisation answers,
# which choose children's and fostering clauses.
STANCE_TYPES = ("choice", "boolean", "multi", "integer")
STANCE_EXTRA = ("organisation.services", "organisation.fostering_adoption")
STANCE_SKIP_SECTIONS = ("organisation", "document")


# One rule, one place (issue 13): two clauses of one policy that rule on one action fail lint only when
# this is on, by `one_rule_one_place: true` in clauses/library.yaml or the environment variable below. It is
# off while the bundled library still repeats rules; the lead switches it on once the content is merged.
ONE_RULE_SETTING = "one_rule_one_place"
ONE_RULE_ENV = "POLICY_BUILDER_ONE_RULE_ONE_PLACE"
ONE_RULE_SWITCH_HELP = (
    f"set '{ONE_RULE_SETTING}: true' in clauses/library.yaml (or {ONE_RULE_ENV}=1) to fail on them and list them"
)


def one_rule_one_place(library: Library) -> bool:
    """Whether duplicate rulings fail lint: the environment variable wins, then clauses/library.yaml."""
    setting = os.environ.get(ONE_RULE_ENV, "").strip().lower()
    if setting:
        return setting not in ("0", "false", "no", "off")
    path = library.root / "library.yaml"
    if not path.exists():
        return False
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and data.get(ONE_RULE_SETTING) is True


# Every check lint runs, in order; lint_report(library, checks=...) runs some of them, so a test of one
# check need not wait for the slow ones (rules, readability, every section's combinations).
CHECKS = (
    "questionnaire",
    "sections",
    "groups",
    "gap-rules",
    "coverage",
    "repeated-paragraphs",
    "glued-words",
    "guide-pointers",
    "readability",
    "versions",
    "handouts",
    "rules",
    "watch",
    "claims",
    "audit",
)


class Answers(dict[str, Any]):
    """One combination's answers (combinations()), with ``key``: the answers in which it differs from the
    sample employer's, as text, which names it among every clause's combinations more cheaply than the
    whole profile's repr (context_of)."""

    key: tuple[tuple[str, str], ...] = ()


def where(path: Any, line: int | None) -> str:
    return f"{display_path(path)}:{line}" if line else display_path(path)


class Linter:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.questions = library.questionnaire.questions
        self.namespaces = {qid.split(".")[0] for qid in self.questions}
        self.nation_fields = set().union(*(set(facts) for facts in library.nations.values()))
        self.problems: list[str] = []
        self.notes: list[str] = []  # counts for the OK line: stances checked, clauses without rules
        self.stances_checked = 0
        self.contradictions_found = 0
        # One rule, one place: pairs of clauses of one policy that rule on one action (lint lines). They fail
        # lint only when one_rule_one_place() is on; until then the OK line counts them.
        self.duplicates: list[str] = []
        # Clauses a build holds open ("still to decide") when a question of fact is unanswered,
        # because they have no wording for None yet: not failures, but work for the clause's owner.
        self.held_open: list[str] = []
        self._outcomes: dict[tuple[str, tuple[str, ...]], bool | TemplateError] = {}  # see outcome()
        self._reads: dict[str, tuple[str, ...]] = {}  # see answers_read()
        self._named: dict[str, set[str]] = {}  # see values_named()
        self._conditional: list[tuple[Question, tuple[str, ...]]] | None = None  # see conditional()
        self._contexts: dict[str | tuple[tuple[str, str], ...], dict[str, Any]] = {}  # see context_of()
        self._normalised: dict[tuple[str, ...], dict[str, Any]] = {}  # see normalise()
        self._normalise_reads: tuple[str, ...] | None = None  # see normalise_reads()
        self._shown: dict[Any, str] = {}  # see at()
        self._names: dict[str, set[str]] = {}  # see names_in()
        self._covers: dict[str, list[dict[int, int]]] = {}  # see pairwise()

    def at(self, path: Any, line: int | None) -> str:
        """where(), with each file's path worked out once (display_path asks the file system)."""
        shown = self._shown.get(path)
        if shown is None:
            shown = self._shown[path] = display_path(path)
        return f"{shown}:{line}" if line else shown

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

    def names_in(self, expression: str) -> set[str]:
        """referenced_names of a condition, parsed once (the covering set asks for each question's again and again)."""
        names = self._names.get(expression)
        if names is None:
            names = self._names[expression] = referenced_names(expression, expression=True)
        return names

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
        base_shown = {qid: repr(value) for qid, value in base.items()}
        # Only these answers can differ from the base: the ones combined, the short name copied from the name,
        # and those normalising can change (the conditional questions, in normalise_reads).
        varying = sorted({*qids, *self.normalise_reads(), "organisation.short_name"})

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
                answers = Answers(values)
                # The answers that differ from the base name the combination among all clauses' (context_of).
                answers.key = tuple(
                    [(qid, shown) for qid in varying if (shown := repr(values.get(qid))) != base_shown.get(qid)]
                )
                yield answers

        return generate()

    def normalise(self, values: dict[str, Any]) -> dict[str, Any]:
        """Apply question `when`s as a real profile would: a question that does not apply keeps its default."""
        # What normalising changes depends only on the answers the `when`s read, the conditional questions'
        # own answers and the answers their defaults come from (normalise_reads): the combinations of many
        # clauses (and many stances) agree on those, so each set of changes is worked out once.
        key = tuple([repr(values.get(qid)) for qid in self.normalise_reads()])
        changes = self._normalised.get(key)
        if changes is None:
            done = self.normalise_pass(values)
            changes = self._normalised[key] = {qid: done[qid] for qid in done if done[qid] is not values.get(qid)}
        values.update(changes)  # in place, as before: a caller may hold on to the dict it passed
        return values

    def normalise_reads(self) -> tuple[str, ...]:
        """The answers normalise_pass can look at: those the conditions read, the conditional questions' own,
        and those their defaults are taken from (default_from, default_by)."""
        if self._normalise_reads is None:
            wanted: set[str] = set()
            for question, reads in self.conditional():
                wanted.update(reads)
                wanted.add(question.id)
                if question.default_from and question.default_from != BUILD_DATE:
                    wanted.add(question.default_from)
                if question.default_by:
                    wanted.add(question.default_by[0])
            self._normalise_reads = tuple(sorted(wanted))
        return self._normalise_reads

    def normalise_pass(self, values: dict[str, Any]) -> dict[str, Any]:
        # One pass reads the answers as they were when it started (its conditions see one context).
        values = dict(values)
        before = dict(values)
        context = functools.cache(functools.partial(self.context, before))
        changed = False
        for question, reads in self.conditional():
            when = question.when
            assert when is not None  # conditional() lists only questions with a `when`
            # outcome(), with its lookup done here: lint normalises many thousands of combinations.
            holds = self._outcomes.get((when, tuple([repr(before.get(qid)) for qid in reads])))
            if holds is None:
                holds = self.outcome(when, before, context)
            if holds is True:
                continue
            if holds is not False:
                raise holds  # the condition's error, as evaluating it would raise
            default = default_for(question, values, LINT_DATE)
            if values[question.id] != default:
                values[question.id] = default
                changed = True
        return self.normalise_pass(values) if changed else values

    def conditional(self) -> list[tuple[Question, tuple[str, ...]]]:
        """The questions asked only when their `when` holds, in questionnaire order, each with the answers it reads."""
        if self._conditional is None:
            self._conditional = [(q, self.reads(q.when)) for q in self.questions.values() if q.when]
        return self._conditional

    def context_of(self, values: dict[str, Any]) -> dict[str, Any]:
        """context(), kept for answers met again: the combinations of many clauses normalise to the same answers.
        Only for reading (evaluating and rendering): the context is shared."""
        key = values.key if isinstance(values, Answers) else repr(values)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = self.context(values)
        return context

    def context(self, values: dict[str, Any]) -> dict[str, Any]:
        return build_context(self.library.questionnaire, values, self.library.nations, LINT_DATE)

    # --- checks ---------------------------------------------------------------------------
    def run(self, checks: Iterable[str] = CHECKS) -> list[str]:
        """Run the named checks (all of them by default), in the order of CHECKS."""
        wanted = set(checks)
        unknown = wanted - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown lint check(s) {', '.join(sorted(unknown))}; one of {', '.join(CHECKS)}")
        for name in CHECKS:
            if name == "sections" and name in wanted:
                for section in self.library.sections:
                    self.check_section(section)
            elif name in wanted:
                getattr(self, "check_" + name.replace("-", "_"))()
        return self.problems

    def check_audit(self) -> None:
        """The audit's wording (audit.yaml, audit-answers.yaml): known actions, questions, answers and nations;
        patterns that compile."""
        from policy_builder.content.auditfiles import audit_file_problems

        self.problems.extend(audit_file_problems(self.library))

    def check_claims(self) -> None:
        """The legal claims register (legal-claims.yaml) names real clauses and facts, and covers the law printed."""
        from policy_builder.checks.claims import check_claims

        self.problems.extend(check_claims(self.library))

    def check_watch(self) -> None:
        """The watch list loads, and each entry's `affects` names a section number or a clause of the library."""
        from policy_builder.checks.watch import load_watch
        from policy_builder.core.errors import LibraryError

        try:
            items = load_watch(self.library.root, set(self.library.nations))
        except LibraryError as exc:
            self.problems.append(str(exc))
            return
        sections = {str(n) for n in range(1, len(self.library.sections) + 1)}
        clause_ids = {c.id for c in self.library.clauses}
        for item in items:
            for target in item.affects:
                if target not in sections and target not in clause_ids:
                    self.problems.append(
                        f"{self.library.root / 'watch.yaml'}: watch entry '{item.id}' affects '{target}', "
                        "which is neither a section number nor a clause id"
                    )

    def check_handouts(self) -> None:
        """Staff summary and leaflet wording: clauses exist, names are questions, every text renders."""
        from policy_builder.core.errors import LibraryError
        from policy_builder.render.summary import MAX_LEAFLET_GRADE, load_leaflet, load_summary, sample_leaflet_level

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
                elif clause is not None and self.library.clause(clause).document != "policy":
                    # The card numbers policy clauses; an item whose clause moved to the guide would vanish.
                    self.problems.append(f"{at}: clause '{clause}' is in the practice guide; name the policy clause")
                if entry.rule is not None:
                    self.problems.extend(self.handout_rule_problems(entry, at))
                names = referenced_names(entry.text)
                names |= referenced_names(entry.when, expression=True) if entry.when else set()
                unknown = self.unknown_names(names)
                self.problems.extend(f"{at}: uses unknown name '{name}'" for name in unknown)
                qids = self.questions_used(names)
                combos = None if unknown else self.combinations(qids, at)
                for values in combos or []:
                    context = self.context_of(values)
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
            from policy_builder.core.errors import LibraryError

            try:
                level = sample_leaflet_level(self.library, self.context(self.normalise(self.base_values())))
            except LibraryError:
                # Blocks with a `rule:` need the sample employer's policy, which a broken group (reported
                # by the group check) stops being built: the reading level waits for that fix.
                level = None
            if level is not None and level.grade > MAX_LEAFLET_GRADE:
                from policy_builder.render.plain import reading_in_words

                self.problems.append(
                    f"{where(self.library.root / 'leaflet.yaml', None)}: for a sample employer the leaflet reads as "
                    f"'{reading_in_words(level.grade)}' (Flesch-Kincaid grade {level.grade:.1f}); keep it to a reading "
                    f"age of 12 or below (grade {MAX_LEAFLET_GRADE:.0f}) with shorter sentences and everyday words"
                )

    def handout_rule_problems(self, entry: Any, at: str) -> list[str]:
        """An item's or block's `rule:` must be one some clause states (else it could never be shown)."""
        from policy_builder.content.library import unknown_action_message

        rule = entry.rule
        if rule.action not in self.library.actions:
            return [f"{at}: rule: {unknown_action_message(rule.action, self.library.actions)}"]
        stating = [
            c.id
            for c in self.library.clauses
            if any((r.action, r.modality) == (rule.action, rule.modality) for r in c.rules)
        ]
        if not stating:
            return [f"{at}: rule: no clause states {rule.modality} '{rule.action}', so this is never shown"]
        clause = getattr(entry, "clause", None)
        if clause is not None and clause not in stating:
            return [
                f"{at}: rule: {rule.modality} '{rule.action}' is stated by {', '.join(stating)}, not by {clause},"
                " the clause this item points to"
            ]
        return []

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
            at = f"{self.at(clause.path, clause.line)}: {clause.id}"
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
                context = self.context_of(values)
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
                context = self.context_of(values)
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
        from policy_builder.checks.coverage import coverage

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

    def check_guide_pointers(self) -> None:
        """A policy clause's `guide:` names a guide clause; a staff card item names a policy clause."""
        from policy_builder.core.errors import LibraryError
        from policy_builder.pipeline.assemble import check_guide_pointers

        try:
            check_guide_pointers(self.library)
        except LibraryError as exc:
            self.problems.append(str(exc))

    def check_glued_words(self) -> None:
        """A line of text that ends in a block tag runs into the next line: the environment trims the
        newline after `{% ... %}`, so "visits.{% endif %}" then "Staff ..." prints "visits.Staff"."""
        for clause in self.library.clauses:
            lines = clause.text.split("\n")
            for number, (line, following) in enumerate(zip(lines, lines[1:], strict=False), start=1):
                stripped = line.strip()
                if (
                    stripped.endswith("%}")
                    and re.sub(r"\{%.*?%\}", "", stripped).strip()  # text on the line, not only tags
                    and re.match(r"[\w({]", following.strip())
                    and not following.strip().startswith("{%")
                ):
                    self.problems.append(
                        f"{where(clause.path, clause.line)}: {clause.id}: text line {number} ends in a block tag, so it"
                        " runs into the next line with no space; join the two lines or end the line with text"
                    )

    def check_versions(self) -> None:
        from policy_builder.content.versions import version_problems

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
        from policy_builder.checks.readability import measure

        readability = measure(self.library, self.context(self.normalise(self.base_values())))
        floor = readability.median_reading_ease - READABILITY_MARGIN
        for result in readability.clauses:
            if result.reading_ease < floor:
                clause = self.library.clause(result.id)
                self.problems.append(
                    f"{where(clause.path, clause.line)}: {clause.id}: far harder to read than the rest of the library "
                    f"(Flesch reading ease {result.reading_ease:.0f}, library median {readability.median_reading_ease:.0f});"
                    " use shorter sentences and plainer words"
                )

    # --- rules as data -------------------------------------------------------------------------
    def check_rules(self) -> None:
        """Each clause's level and wording agree with its rules; no policy in the covering set contradicts itself."""
        from policy_builder.pipeline.rules import clause_rule_problems, unannotated

        sections = [s.id for s in self.library.sections]
        for action in self.library.actions.values():
            if action.section not in sections:
                self.problems.append(
                    f"{where(self.library.root / 'actions.yaml', action.line)}: {action.id}: section "
                    f"'{action.section}' is not a section of the library; one of {', '.join(sections)}"
                )
        for clause in self.library.clauses:
            self.problems.extend(clause_rule_problems(clause, f"{where(clause.path, clause.line)}: {clause.id}"))
        clause_ids = {clause.id for clause in self.library.clauses}
        for clause in self.library.clauses:
            for rule in clause.rules:
                if rule.see is not None and rule.see not in clause_ids:
                    self.problems.append(
                        f"{where(clause.path, rule.line)}: {clause.id}: rule for '{rule.action}': see: {rule.see} "
                        "is not a clause in the library; name the clause whose rule this one restates"
                    )
        started = time.perf_counter()
        contradictions = self.check_contradictions()
        seconds = time.perf_counter() - started
        strict = one_rule_one_place(self.library)
        if strict:
            self.problems.extend(self.duplicates)
        # The OK line counts duplicate rulings; until the switch is on they are allowed, and the line says so.
        allowed = " allowed until one_rule_one_place is on" if self.duplicates and not strict else ""
        self.notes.append(
            f"Rules: {self.stances_checked} stances checked, {contradictions} contradictions, "
            f"{len(self.duplicates)} duplicate rulings{allowed} ({seconds:.1f} s)."
        )
        # Every rule-stating clause says what it requires, allows or forbids, or the contradiction
        # check above cannot see it.
        for clause in unannotated(self.library.clauses):
            self.problems.append(
                f"{where(clause.path, clause.line)}: {clause.id}: level {clause.level} but no 'rules:'; state what it "
                "requires, allows or forbids (clauses/actions.yaml), or make it level note"
            )

    def check_contradictions(self) -> int:
        """Build the covering set of stances; fail where one policy both allows and forbids an action, where two
        of its clauses rule on one action (one rule, one place), or where a `see:` points to no rule of it."""
        from policy_builder.pipeline.rules import InForce, contradictions, cross_reference_problems, duplicates

        # Only clauses that state rules can contradict. A clause is in a policy when its section's and its
        # own `when` hold (assemble.select_clauses; groups only check that one member applies, which
        # check_groups proves), so evaluating just these clauses gives the same rules, much faster.
        stating = [(section, clause) for section in self.library.sections for clause in section.clauses if clause.rules]
        stances = self.stances()
        self.stances_checked = len(stances)
        if not stating:
            return 0
        # The clauses some `see:` points to: whether each is in a stance's policy is asked only of these.
        placed = {clause.id: (section, clause) for section in self.library.sections for clause in section.clauses}
        targets = {rule.see for _, clause in stating for rule in clause.rules if rule.see in placed}
        seen: set[tuple[str, ...]] = set()  # contradictions (action, allowing, forbidding) and ("duplicate", ...)
        found = 0
        # Stances whose policies hold the same rules (and put the same `see:` targets in) find the same problems,
        # already reported for the first of them: each such policy is checked once.
        checked: set[tuple[Any, ...]] = set()  # policies checked: the rows of rule_table they state, targets in
        # A stance's policy is fixed by which conditions of these clauses, rules and targets hold. They are
        # numbered, and each stance's values found from the answers each reads (outcome): the rules it states
        # are then picked out by index, and a stance whose conditions all come out as an earlier one's is
        # skipped at once (its policy, so its problems, are that stance's).
        conditions = sorted(
            {
                e
                for section, clause in stating
                for e in (section.when, clause.when, *(r.when for r in clause.rules))
                if e
            }
            | {e for target in targets for e in (placed[target][0].when, placed[target][1].when) if e}
        )
        number: dict[str | None, int] = {expression: n for n, expression in enumerate(conditions)}
        number[None] = len(conditions)  # the slot of "no condition", which always holds
        rule_table = [
            (
                clause,
                rule,
                number[section.when],
                number[clause.when],
                number[rule.when],
            )
            for section, clause in stating
            for rule in clause.rules
        ]
        target_table = [
            (target, number[placed[target][0].when], number[placed[target][1].when])
            for target in targets
            if placed[target][1].document == "policy"
        ]
        decided: set[tuple[bool, ...]] = set()
        condition_reads = [(expression, self.reads(expression)) for expression in conditions]
        read_by_conditions = sorted({qid for _, reads in condition_reads for qid in reads})
        answers_decided: set[tuple[str, ...]] = set()
        known = self._outcomes
        actions_checked: set[tuple[int, ...]] = set()  # the rules on one action of a policy checked (as rows)
        entries = [InForce(clause, rule) for clause, rule, *_ in rule_table]  # rule_table's rows, as the rules see them
        row_of = {(id(clause), id(rule)): n for n, (clause, rule, *_) in enumerate(rule_table)}
        # What cross_reference_problems reads of a policy: its `see:` rules and the rules of the clauses they
        # name on those actions. Policies that agree on these rows (and on the targets in them) give the same
        # answer, so each such set is checked once, and only with these rows.
        restated = {(rule.see, rule.action) for _, rule, *_ in rule_table if rule.see is not None}
        cross_rows = {
            n
            for n, (clause, rule, *_) in enumerate(rule_table)
            if rule.see is not None or (clause.id, rule.action) in restated
        }
        cross_checked: set[tuple[Any, ...]] = set()
        for values in stances:
            # The stance's context is built only if some condition's value is not known yet (see answers_read).
            context = functools.cache(functools.partial(self.context, values))
            shown = {qid: repr(values.get(qid)) for qid in read_by_conditions}
            answers = tuple(shown.values())
            if answers in answers_decided:
                continue  # the same answers to every question a condition reads: an earlier stance's policy
            answers_decided.add(answers)
            outcomes: list[bool | TemplateError] = []
            for expression, reads in condition_reads:  # outcome(), with its lookup done here
                outcome = known.get((expression, tuple([shown[qid] for qid in reads])))
                outcomes.append(self.outcome(expression, values, context, shown) if outcome is None else outcome)
            if all(type(outcome) is bool for outcome in outcomes):
                holding = (*outcomes, True)
                if holding in decided:
                    continue
                decided.add(holding)  # type: ignore[arg-type]  # every outcome is a bool here, checked above
                rows = [n for n, (_, _, a, b, c) in enumerate(rule_table) if holding[a] and holding[b] and holding[c]]
                in_policy_now = frozenset(target for target, a, b in target_table if holding[a] and holding[b])
            else:
                # A condition fails for this stance: evaluated in order, as a build would, so that a rule's
                # failing condition is reported (with this stance) only where the rule's clause is in the policy.
                memo: dict[str, bool] = {}
                stated = [
                    (clause, rule)
                    for section, clause in stating
                    if self.holds(section.when, context, memo, values)
                    and self.holds(clause.when, context, memo, values)
                    for rule in clause.rules
                    if self.holds(rule.when, context, memo, values, (clause, rule))
                ]
                in_policy_now = (
                    frozenset(
                        target
                        for target in targets
                        if placed[target][1].document == "policy"
                        and self.holds(placed[target][0].when, context, memo, values)
                        and self.holds(placed[target][1].when, context, memo, values)
                    )
                    if targets
                    else frozenset()
                )
                rows = [row_of[id(clause), id(rule)] for clause, rule in stated]
            policy_key = (tuple(rows), in_policy_now)
            if policy_key in checked:
                continue
            checked.add(policy_key)
            # Contradictions and duplicates are found action by action, from the rules on that action alone: the
            # rules one policy holds on an action that an earlier policy held too can only find what it found.
            by_action: dict[str, list[int]] = {}
            for n in rows:
                by_action.setdefault(entries[n].rule.action, []).append(n)
            fresh: list[InForce] = []
            for on_action in by_action.values():
                action_key = tuple(on_action)
                if action_key not in actions_checked:
                    actions_checked.add(action_key)
                    fresh.extend(entries[n] for n in on_action)
            for contradiction in contradictions(fresh):
                key = (contradiction.action, contradiction.allowing.clause.id, contradiction.forbidding.clause.id)
                if key in seen:
                    continue
                seen.add(key)
                found += 1
                self.problems.append(self.describe_contradiction(contradiction, values))
            for duplicate in duplicates(fresh):
                pair = ("duplicate", duplicate.action, *sorted((duplicate.first.clause.id, duplicate.second.clause.id)))
                if pair in seen:
                    continue
                seen.add(pair)
                self.duplicates.append(
                    self.describe_duplicate(duplicate.action, duplicate.first, duplicate.second, values)
                )
            cross = tuple([n for n in rows if n in cross_rows])
            if targets and (cross, in_policy_now) not in cross_checked:
                cross_checked.add((cross, in_policy_now))
                for broken in cross_reference_problems([entries[n] for n in cross], in_policy_now):
                    entry = broken.entry
                    if entry.rule.see not in placed:
                        continue  # names no clause at all: check_rules says so once
                    key = ("see", entry.clause.id, f"{entry.rule.action}:{entry.rule.line}")
                    if key in seen:
                        continue
                    seen.add(key)
                    self.problems.append(
                        f"{where(entry.clause.path, entry.rule.line)}: {entry.clause.id}: rule for '{entry.rule.action}': "
                        f"{broken.problem} (in the policy for "
                        f"{self.describe_stance([entry], values, [placed[entry.rule.see][1]])})"
                    )
        return found

    def holds(
        self,
        expression: str | None,
        context: Callable[[], dict[str, Any]],
        memo: dict[str, bool],
        values: dict[str, Any],
        rule: tuple[Clause, Any] | None = None,
    ) -> bool:
        """A condition's value for one stance, evaluated once; a rule's condition that fails is a problem
        (clause and section conditions that fail are reported by check_section)."""
        if expression is None:
            return True
        if expression not in memo:
            outcome = self.outcome(expression, values, context)
            if isinstance(outcome, bool):
                memo[expression] = outcome
            else:
                exc = outcome
                memo[expression] = False
                if rule is not None:
                    clause, stated = rule
                    problem = f"{where(clause.path, stated.line)}: {clause.id}: rule for '{stated.action}': when fails"
                    if not any(p.startswith(problem) for p in self.problems):
                        stance = f"{values['organisation.nation']}, {values['organisation.type']}"
                        self.problems.append(f"{problem} for stance {stance}: {exc}")
        return memo[expression]

    def outcome(
        self,
        expression: str,
        values: dict[str, Any],
        context: Callable[[], dict[str, Any]],
        shown: dict[str, str] | None = None,
    ) -> bool | TemplateError:
        """A condition's value for these answers, or the error it raises. A condition reads a few answers, and
        lint meets the same few again and again (~1,100 stances, every combination normalised): its value is
        kept for each combination of the answers it reads (answers_read), so most are looked up, not evaluated.
        ``context`` builds the answers' context, only if needed; ``shown``, the repr of each answer, when the
        caller asks many conditions of one set of answers."""
        if shown is None:
            key = (expression, self.answers_read(expression, values))
        else:
            key = (expression, tuple([shown.get(qid, "None") for qid in self.reads(expression)]))
        outcome = self._outcomes.get(key)
        if outcome is None:
            try:
                outcome = evaluate(expression, context())
            except TemplateError as exc:
                outcome = exc
            self._outcomes[key] = outcome
        return outcome

    def known(self, expression: str, values: dict[str, Any], context: Callable[[], dict[str, Any]]) -> bool:
        """outcome(), raising the condition's error as evaluating it would."""
        outcome = self.outcome(expression, values, context)
        if isinstance(outcome, bool):
            return outcome
        raise outcome

    def answers_read(self, expression: str, values: dict[str, Any]) -> tuple[str, ...]:
        """The answers a condition can read in a stance, as text: two stances that agree on them give the
        condition one value. `messaging.whatsapp` reads that answer; a namespace used whole (`messaging[x]`)
        reads all of its answers; nation and review_date read the answers they come from (DERIVED_FROM)."""
        return tuple(repr(values.get(qid)) for qid in self.reads(expression))

    def reads(self, expression: str) -> tuple[str, ...]:
        """The question ids a condition can read (see answers_read), found once."""
        qids = self._reads.get(expression)
        if qids is None:
            tree = ENV.parse("{{ " + expression + " }}")
            wanted: set[str] = set()
            dotted = set()
            for attribute in tree.find_all(nodes.Getattr):
                head = attribute.node
                if isinstance(head, nodes.Name) and f"{head.name}.{attribute.attr}" in self.questions:
                    wanted.add(f"{head.name}.{attribute.attr}")
                    dotted.add(id(head))
            for name in tree.find_all(nodes.Name):
                if id(name) not in dotted:
                    wanted.update(qid for qid in self.questions if qid.split(".")[0] == name.name)
                wanted.update(DERIVED_FROM.get(name.name, ()))
            qids = self._reads[expression] = tuple(sorted(wanted))
        return qids

    def describe_stance(self, entries: Iterable[InForce], values: dict[str, Any], others: Iterable[Clause] = ()) -> str:
        """The stance, with only the answers that bring these rules (and put these other clauses) into the policy."""
        names: set[str] = set()
        expressions: list[str | None] = []
        for entry in entries:
            section = next(s for s in self.library.sections if s.id == entry.clause.section)
            expressions += [section.when, entry.clause.when, entry.rule.when]
        for clause in others:
            section = next(s for s in self.library.sections if s.id == clause.section)
            expressions += [section.when, clause.when]
        for expression in expressions:
            if expression:
                names |= referenced_names(expression, expression=True)
        qids = [q for q in self.questions_used(names) if q not in ("organisation.nation", "organisation.type")]
        stance = f"{values['organisation.nation']}, {values['organisation.type']}"
        return f"stance {stance}; {self.describe(values, qids)}"

    def describe_contradiction(self, found: Contradiction, values: dict[str, Any]) -> str:
        allowing, forbidding = found.allowing, found.forbidding
        return (
            f"{where(allowing.clause.path, allowing.rule.line)}: {allowing.clause.id} says "
            f"{allowing.rule.modality} '{found.action}' but {where(forbidding.clause.path, forbidding.rule.line)}: "
            f"{forbidding.clause.id} says {forbidding.rule.modality} '{found.action}', and one policy holds both: "
            f"{self.describe_stance([allowing, forbidding], values)}"
        )

    def describe_duplicate(self, action: str, first: InForce, second: InForce, values: dict[str, Any]) -> str:
        return (
            f"{where(first.clause.path, first.rule.line)}: {first.clause.id} ({first.rule.modality}) and "
            f"{where(second.clause.path, second.rule.line)}: {second.clause.id} ({second.rule.modality}) both rule on "
            f"'{action}' in one policy: {self.describe_stance([first, second], values)}; state it in one clause, or "
            f"mark one a reminder with `see: <the other's id>` on its rule"
        )

    def stance_questions(self) -> list[Question]:
        return [
            q
            for q in self.questions.values()
            if (q.type in STANCE_TYPES and q.section not in STANCE_SKIP_SECTIONS) or q.id in STANCE_EXTRA
        ]

    def stance_pool(self, question: Question, base: dict[str, Any]) -> list[Any]:
        """The answers a stance may give: every choice, yes and no, sample subsets; the default always."""
        default = default_for(question, base, LINT_DATE)
        if question.type == "multi":
            values = question.choice_values
            if len(values) <= 3:  # few choices: every non-empty subset
                pool: list[Any] = [
                    list(combo) for size in range(1, len(values) + 1) for combo in itertools.combinations(values, size)
                ]
            else:  # the default, everything, and each value some condition or text tests on its own
                named = self.values_named(question.id)
                pool = [default or [values[0]], list(values), *([v] for v in values if v in named)]
        else:
            pool = list(self.samples(question))
        if not question.required or default is not None:
            pool.insert(0, default)  # a question not asked, or left out, takes its default (None where it has none)
        unique: list[Any] = []
        for value in pool:
            if value not in unique:
                unique.append(value)
        return unique

    def values_named(self, qid: str) -> set[str]:
        """Values of a multi question that some text or condition tests one by one ('sms' in messaging.apps)."""
        found = self._named.get(qid)
        if found is None:
            found = self._named[qid] = self.read_values_named(qid)  # once, not once for each employer
        return found

    def read_values_named(self, qid: str) -> set[str]:
        pattern = re.compile(r"'([\w-]+)'\s+in\s+" + re.escape(qid) + r"\b")
        found: set[str] = set()
        for path in sorted(self.library.root.glob("*.yaml")):  # clauses, handouts and gap rules alike
            try:
                found.update(pattern.findall(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:  # a file the loader never reads: a loop, a folder, bad bytes
                reason = os_reason(exc) if isinstance(exc, OSError) else "it is not UTF-8 text"
                raise LibraryError(path, None, f"cannot read the file ({reason})") from None
        return found

    def stance_employers(self) -> list[tuple[str, str]]:
        nations = self.questions["organisation.nation"].choice_values
        kinds = self.questions["organisation.type"].choice_values
        return [(n, k) for n in nations for k in kinds if (n, k) not in IMPOSSIBLE_EMPLOYERS]

    def stances(self) -> list[dict[str, Any]]:
        """The covering set: for each employer, every pair of stance answers that a profile can give appears in
        at least one stance (greedy pairwise generation, deterministic). Each stance is a full set of answers."""
        if getattr(self, "_stances", None) is None:
            stances: list[dict[str, Any]] = []
            for nation, kind in self.stance_employers():
                base = dict(self.base_values())
                base["organisation.nation"], base["organisation.type"] = nation, kind
                for row in self.pairwise(base):
                    values = dict(base)
                    values.update(row)
                    stances.append(self.normalise(values))
            self._stances: list[dict[str, Any]] | None = stances
        return self._stances or []

    def pairwise(self, base: dict[str, Any]) -> list[dict[str, Any]]:
        questions = self.stance_questions()
        ids = [q.id for q in questions]
        pools = [self.stance_pool(q, base) for q in questions]
        # A required question (no default) is always asked; its "default" slot is never used.
        defaults = [
            pool.index(d) if (d := default_for(q, base, LINT_DATE)) in pool else 0
            for q, pool in zip(questions, pools, strict=True)
        ]
        # Whether a question is asked depends on the stance questions its `when` names (the controllers);
        # a question not asked takes its default, so some pairs of answers no profile can give.
        controllers = sorted(
            {
                ids.index(name)
                for q in questions
                if q.when
                for name in self.questions_used(self.names_in(q.when))
                if name in ids
            }
        )
        settings: list[dict[int, int]] = []  # controller index -> pool index
        asked: list[list[bool]] = []
        for combo in itertools.product(*(range(len(pools[c])) for c in controllers)):
            setting = dict(zip(controllers, combo, strict=True))
            values = dict(base)
            values.update({ids[c]: pools[c][v] for c, v in setting.items()})
            context = functools.cache(functools.partial(self.context, values))  # built only if a value is not known
            flags = [not q.when or self.known(q.when, values, context) for q in questions]
            if any(not flags[c] and v != defaults[c] for c, v in setting.items()):
                continue  # a controller not asked keeps its default: another setting covers this
            settings.append(setting)
            asked.append(flags)
        # The greedy cover below reads only the pools' sizes, the defaults' places, the settings and what each
        # asks, so employers that agree on those get the same rows (as places in the pools): the 19 employers
        # of the bundled library come to 3 such covers, each worked out once.
        sizes = [len(pool) for pool in pools]
        key = repr((sizes, defaults, settings, asked))
        cover = self._covers.get(key)
        if cover is None:
            cover = self._covers[key] = self.cover(sizes, defaults, settings, asked)
        return [{ids[q]: pools[q][v] for q, v in fixed.items()} for fixed in cover]

    @staticmethod
    def cover(
        sizes: list[int], defaults: list[int], settings: list[dict[int, int]], asked: list[list[bool]]
    ) -> list[dict[int, int]]:
        """The rows of the covering set for one employer, each as question -> place of its answer in its pool:
        every pair of answers some setting allows is in at least one row (greedy, deterministic)."""
        # masks[q][v]: the settings (as bits) under which question q can end up with answer v.
        masks: list[list[int]] = [[0] * size for size in sizes]
        for s, setting in enumerate(settings):
            bit = 1 << s
            for q, row in enumerate(masks):
                if q in setting:
                    row[setting[q]] |= bit
                elif asked[s][q]:
                    for v in range(len(row)):
                        row[v] |= bit
                elif defaults[q] < len(row):
                    row[defaults[q]] |= bit
        order = [
            (i, vi, j, vj)
            for i in range(len(sizes))
            for j in range(i + 1, len(sizes))
            for vi in range(sizes[i])
            for vj in range(sizes[j])
            if masks[i][vi] & masks[j][vj]
        ]
        # The pairs still to cover, as bits: open[item] has the bit of every item it is not yet paired with in
        # some row (an item is a question's answer, numbered by `number`). Counting a candidate row's new
        # pairs is then a few ANDs and bit counts, not a set lookup per pair (1.5 million of them before).
        number: list[list[int]] = []
        for size in sizes:
            start = sum(len(row) for row in number)
            number.append(list(range(start, start + size)))
        open_pairs = [0] * sum(sizes)
        for i, vi, j, vj in order:
            a, b = number[i][vi], number[j][vj]
            open_pairs[a] |= 1 << b
            open_pairs[b] |= 1 << a

        # Each setting's answers as items and bits, to count a candidate row's pairs without building it.
        setting_items = [[number[q][v] for q, v in setting.items()] for setting in settings]
        setting_bits = [sum(1 << item for item in items) for items in setting_items]

        def gain(s: int, a: int, b: int) -> int:
            """How many open pairs a row of setting s with items a and b covers."""
            items = setting_items[s] + [item for item in (a, b) if not setting_bits[s] >> item & 1]
            chosen = setting_bits[s] | 1 << a | 1 << b
            return sum((open_pairs[item] & chosen).bit_count() for item in items) // 2

        rows: list[dict[int, int]] = []
        position = 0
        while True:
            while position < len(order):
                i, vi, j, vj = order[position]
                if open_pairs[number[i][vi]] >> number[j][vj] & 1:
                    break
                position += 1
            if position == len(order):
                break
            i, vi, j, vj = order[position]
            a, b = number[i][vi], number[j][vj]
            candidates = masks[i][vi] & masks[j][vj]
            best: tuple[int, int] | None = None
            while candidates:  # each setting that allows the pair, in order
                lowest = candidates & -candidates
                candidates ^= lowest
                s = lowest.bit_length() - 1
                score = gain(s, a, b)
                if best is None or score > best[0]:
                    best = (score, s)
            assert best is not None  # the pair is in `order` only when some setting allows it
            s = best[1]
            fixed = {**settings[s], i: vi, j: vj}
            chosen = 0
            for q, v in fixed.items():
                chosen |= 1 << number[q][v]
            for q in range(len(sizes)):
                if q in fixed:
                    continue
                if not asked[s][q]:
                    fixed[q] = defaults[q]
                else:
                    # The answer that covers most open pairs with the answers already chosen (the first of equals).
                    scores = [(open_pairs[item] & chosen).bit_count() for item in number[q]]
                    fixed[q] = scores.index(max(scores))
                chosen |= 1 << number[q][fixed[q]]
            for q, v in fixed.items():  # every pair of this row is covered now
                open_pairs[number[q][v]] &= ~chosen
            rows.append(fixed)
        return rows

    @staticmethod
    def describe(values: dict[str, Any], qids: list[str]) -> str:
        parts = []
        for qid in qids:
            value = values.get(qid)
            parts.append(f"{qid}={value.isoformat() if isinstance(value, dt.date) else value!r}")
        return ", ".join(parts) if parts else "for any answers"


def lint_library(library: Library, checks: Iterable[str] = CHECKS) -> list[str]:
    """All problems found, as 'path:line: what' lines; empty when the library is sound."""
    return lint_report(library, checks)[0]


def lint_report(library: Library, checks: Iterable[str] = CHECKS) -> tuple[list[str], list[str]]:
    """(problems, notes): notes do not fail lint: the counts for the OK line, and clauses a build
    holds open ("still to decide") for an unanswered question because they have no wording for it.
    ``checks`` names the checks to run (see CHECKS); all of them unless told."""
    linter = Linter(library)
    problems = linter.run(checks)
    return problems, linter.notes + [f"Note: {note}" for note in linter.held_open]


def sample_context(library: Library) -> dict[str, Any]:
    """The sample employer's answers as the clause templates see them (for measuring reading ease)."""
    linter = Linter(library)
    return linter.context(linter.normalise(linter.base_values()))
