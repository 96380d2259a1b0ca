"""Properties that hold for every valid profile, checked on profiles Hypothesis generates.

Profiles are drawn over the whole questionnaire: any choice, any set of a
multi-choice, yes or no, any whole number in range, any date the questionnaire
allows, and free text from a broad alphabet (control characters, right-to-left
text, emoji, Welsh and Gaelic letters, template and Markdown syntax).

How many examples: CI (CI set in the environment) runs 80 profiles through
the Markdown properties, 8 through the Word round trip and 240 texts through
the escaping property, derandomised (a fixed seed) so a red CI run is
reproduced by `CI=1 pytest tests/test_properties.py`; elsewhere 30, 3 and 90,
with a new random seed each run. Every run also tries the inputs that once
broke a build (KNOWN_TEXTS, KNOWN_PROFILE: issue 7's escaping bugs, dates at
the end of the range) first, so a smaller run still finds those bugs if they
come back; it was 200, 20 and 600 examples, about 40 s of the suite's time on
2 cores. Reproduce or widen a local run with
    .venv/bin/pytest tests/test_properties.py --hypothesis-seed=1234
    PROPERTY_EXAMPLES=2000 .venv/bin/pytest tests/test_properties.py
and see the counts with --hypothesis-show-statistics.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import docx
import yaml
from conftest import BUILD_DATE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from policy_builder.build import build_profile
from policy_builder.content.library import Library, load_library
from policy_builder.content.models import GapWarning, Policy, Question
from policy_builder.content.questionnaire import DATE_YEARS, build_context, evaluate
from policy_builder.core.templating import markdown_escape
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.gaps import find_gaps
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.markdown import render_gap_report, render_policy
from policy_builder.render.typography import smarten

CI = bool(os.environ.get("CI"))
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES") or (80 if CI else 30))
CHEAP = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=CI,
    database=None if CI else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
WORD = settings(CHEAP, max_examples=max(1, EXAMPLES // 10))

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = load_library(ROOT / "clauses")
# A text answer that names a file the build reads; random text would name no file.
NOT_FREE_TEXT = {"document.reference_docx"}

FRAGMENTS = [
    "{{ organisation.name }}",
    "{% if true %}x{% endif %}",
    "{#",
    "*",
    "**",
    "_",
    "`",
    "[a](b)",
    "<b>",
    "&amp;",
    "# ",
    "1. ",
    "- ",
    "> ",
    "|",
    "\\",
    "---",
    "===",
    "\u202e",
    "\u200d",
    "مجلس",
    "עִבְרִית",
    "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    "Ynys Môn ŵ ŷ",
    "Eilean Siar à ì ù",
    "\x07",
    "\x1b[31m",
    "\t",
    "None",
    "undefined",
]
# Text that once came out wrong (issue 7): "&amp;" shown as "&", a leading "=", "-", "+", "---" or "1." read as a
# heading underline, rule or list, template syntax and "None" typed as answers, right-to-left and control characters.
KNOWN_TEXTS = ["&amp;", "=", "= x", "---", "- x", "+ x", "1. x", "2) x", "# x", "{{ organisation.name }}", "None"]
KNOWN_TEXTS += ["\u202e x", "a\x07b\x1b[31m", "x\r\n= y", "| x |", "\\&"]

# Any character a UTF-8 file can hold (no lone surrogates), weighted towards the awkward ones.
CHARACTERS = st.characters(exclude_categories=("Cs",))
FREE_TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARACTERS, max_size=6)), max_size=6).map("".join)


def answer_strategy(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "choice":
        return st.sampled_from(question.choice_values)
    if question.type == "multi":
        return st.lists(st.sampled_from(question.choice_values), min_size=1, unique=True)
    if question.type == "boolean":
        return st.booleans()
    if question.type == "integer":
        return st.integers(question.minimum, question.maximum)
    if question.type == "date":
        return st.dates(dt.date(DATE_YEARS[0], 1, 1), dt.date(DATE_YEARS[1], 12, 31))
    text = FREE_TEXT.filter(lambda t: t.strip()) if question.required else FREE_TEXT
    return text


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    """A valid profile: every required question answered, every other one answered or left out."""
    profile: dict[str, Any] = {"schema": 1}
    for qid, question in LIBRARY.questionnaire.questions.items():
        if qid in NOT_FREE_TEXT:
            continue
        if not question.required and not draw(st.booleans()):
            continue
        namespace, name = qid.split(".")
        profile.setdefault(namespace, {})[name] = draw(answer_strategy(question))
    return profile


def known_profile() -> dict[str, Any]:
    """Every answer given, free text from KNOWN_TEXTS, dates and review cycle at the end of their range."""
    profile: dict[str, Any] = {"schema": 1}
    texts = iter(KNOWN_TEXTS * 4)
    for qid, question in LIBRARY.questionnaire.questions.items():
        if qid in NOT_FREE_TEXT:
            continue
        namespace, name = qid.split(".")
        if question.type == "choice":
            value: Any = question.choice_values[-1]
        elif question.type == "multi":
            value = list(question.choice_values)
        elif question.type == "boolean":
            value = True
        elif question.type == "integer":
            value = question.maximum if question.maximum is not None else 1
        elif question.type == "date":
            value = dt.date(DATE_YEARS[1], 12, 31)
        else:
            value = next(texts)
        profile.setdefault(namespace, {})[name] = value
    return profile


KNOWN_PROFILE = known_profile()


def assemble(profile: dict[str, Any]) -> tuple[Policy, list[GapWarning], str, str]:
    """The Markdown build in memory: profile file -> answers -> policy, gaps -> policy and gap report text.

    (The full build below also writes a manifest, whose YAML front matter triples the time per example.)
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
        answers = load_profile(path, LIBRARY.questionnaire, LIBRARY.nations, build_date=BUILD_DATE)
        policy = build_policy(LIBRARY, answers)
        warnings = find_gaps(LIBRARY, answers)
        return policy, warnings, render_policy(policy), render_gap_report(policy, warnings, LIBRARY)


def _kind(name: str) -> str:
    """'-gaps', '-guide', '-annex' for those files, '' for the policy."""
    kinds = {"gap-report": "-gaps", "practice-guide": "-guide", "sources-annex": "-annex"}
    return next((kind for part, kind in kinds.items() if part in name), "")


def build(profile: dict[str, Any], formats: list[str], library: Library = LIBRARY):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
        result = build_profile(library, path, Path(folder) / "out", formats, build_date=BUILD_DATE)
        files = {p.suffix + _kind(p.name): p.read_bytes() for p in result.written}
    return result, files


def leftover_template(text: str, answers: dict[str, Any]) -> str | None:
    """Template syntax or a printed None/undefined that came from the library, not from an answer."""
    strings: list[str] = []
    for value in answers.values():
        strings += [value] if isinstance(value, str) else []
        strings += [getattr(value, "label", "")] + list(getattr(value, "labels", []))
    # Paragraphs are reflowed after rendering, so an answer may be wrapped across lines: compare
    # with runs of white space made single, after escaping (which drops control characters).
    text = " ".join(text.split())
    # Longest first: one answer may contain another ("{{ x }}" inside "{{ x }}{% if %}").
    for string in sorted(filter(None, strings), key=len, reverse=True):
        escaped = markdown_escape(string)
        mid_line = markdown_escape("x" + string)[1:]  # printed after other text: no line-start escape
        for form in (escaped, mid_line, escaped[:1].upper() + escaped[1:]):
            form = " ".join(form.split())
            if form:
                text = text.replace(form, "")
    found = re.search(r"\{\{|\{%|\{#|\bNone\b|\bundefined\b", text)
    return found.group(0) if found else None


@CHEAP
@given(profiles())
@example(KNOWN_PROFILE)
def test_every_profile_builds_a_sound_policy(profile):
    policy, warnings, markdown, report = assemble(profile)
    answers = policy.answers
    context = build_context(LIBRARY.questionnaire, answers.values, LIBRARY.nations, answers.build_date)
    assert policy.title in markdown

    in_policy = {clause.id for clause in policy.clauses}
    for section in LIBRARY.sections:
        if section.when and not evaluate(section.when, context):
            assert not in_policy & {c.id for c in section.clauses}, section.id
            continue
        groups: dict[str, list[str]] = {}
        for clause in section.clauses:
            if clause.group:
                groups.setdefault(clause.group, []).append(clause.id)
        for group, members in groups.items():
            chosen = [m for m in members if m in in_policy]
            if not chosen and f"open:{group}" in in_policy:
                # Held open: a question the group turns on is unanswered, and the draft says so.
                assert policy.draft.open_questions, group
                continue
            assert len(chosen) == 1, (group, chosen)

    for clause in policy.clauses:
        assert clause.sources, clause.id
        assert all(source in LIBRARY.items for source in clause.sources), clause.id
        assert clause.text.strip(), clause.id
        found = leftover_template(clause.text, context_answers(context))
        assert found is None, (clause.id, found, clause.text)

    warned = {w.id for w in warnings}
    for rule in LIBRARY.gap_rules:
        fired = evaluate(rule.when, context)
        assert (rule.id in warned) == fired, rule.id
        if fired and rule.severity == "high":
            assert markdown_escape(rule.message) in report, rule.id


def context_answers(context: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{ns}.{name}": value
        for ns, block in context.items()
        if isinstance(block, dict)
        for name, value in block.items()
    }


@WORD
@given(profiles())
@example(KNOWN_PROFILE)
def test_every_profile_builds_a_word_document_that_reopens(profile):
    result, files = build(profile, ["md", "docx"])  # the whole build, every file written
    assert files[".md"] and files[".md-gaps"]
    document = docx.Document(io.BytesIO(files[".docx"]))
    paragraphs = [" ".join(p.text.split()) for p in document.paragraphs]
    name = result.policy.organisation
    # C0 and C1 controls are left out; VT, FF, NEL, U+2028 and U+2029 fold to a space (split() does the same).
    shown = smarten(" ".join(re.sub("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]", "", name).split()))
    assert any(shown in p for p in paragraphs) or any(
        shown in " ".join(cell.text.split()) for table in document.tables for row in table.rows for cell in row.cells
    )
    for clause in result.policy.clauses:
        assert any(smarten(clause.title) in p for p in paragraphs), clause.title  # Word's curly quotes
    for kind in ("-guide", "-annex"):  # the practice guide and the sources annex reopen too, with the title
        companion = docx.Document(io.BytesIO(files[".docx" + kind]))
        assert result.policy.title in companion.paragraphs[0].text


MARKDOWN = MarkdownIt("commonmark").enable("table")


def plain(source: str) -> list[str]:
    blocks = []
    for token in MARKDOWN.parse(source):
        assert token.type != "html_block"
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                assert child.type not in ("html_inline", "link_open", "image"), child.type
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("\n")
            blocks.append("".join(parts))
    return blocks


def known(test: Any) -> Any:
    """Try each of KNOWN_TEXTS first, on every run."""
    for text in KNOWN_TEXTS:
        test = example(text)(test)
    return test


@settings(CHEAP, max_examples=EXAMPLES * 3)
@given(st.one_of(FREE_TEXT, st.text(CHARACTERS)))
@known
def test_escaped_text_reads_back_exactly_wherever_it_is_printed(text):
    """markdown_escape(text) is read by CommonMark as text, at a line start, mid-line, in bold and in a table."""
    shown = markdown_escape(text)
    # Line breaks (VT, FF, NEL, U+2028 and U+2029 too) fold to a space; then C0 and C1 controls are left out.
    typed = re.sub("\\s*[\r\n\x0b\x0c\x85\u2028\u2029]+\\s*", " ", text)
    typed = re.sub("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]", "", typed)
    if not typed.strip():
        return
    assert plain(f"Intro.\n{shown} end") == ["Intro.\n" + f"{typed} end".lstrip(" \t")]
    assert plain(f"Start {shown} end") == [f"Start {typed} end"]
    if typed == typed.strip():
        assert plain(f"**{shown}**") == [typed]
    cells = plain(f"| a | b |\n| --- | --- |\n| x | {shown} |")
    assert [" ".join(cell.split()) for cell in cells] == ["a", "b", "x", " ".join(typed.split())]
