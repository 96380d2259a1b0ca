"""Random valid profiles, drawn from what `policy-builder questions --json` says, must all build (issue 18).

The questionnaire as a user's tool sees it (ids, types, choices, required) drives the strategy; free
text is drawn wide: long names (past Word's 255-character property limit), every script, emoji with
joiners and tags, right-to-left and bidi marks, combining marks, Markdown and template syntax.
Each profile is built as Markdown and Word (every file of a build) and must not crash: a
PolicyBuilderError for a valid profile counts as a failure too.

CI builds RANDOM_PROFILES (default 6) of them; the full run of 1,000 is marked slow:
    .venv/bin/pytest -m slow tests/test_random_profiles.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import BUILD_DATE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_builder.build import build_profile
from policy_builder.cli import CliContext, main
from policy_builder.content.library import Library
from policy_builder.content.questionnaire import DATE_YEARS

# One sample of each script and mark a user might type, beside random characters from all of Unicode.
SCRIPTS = [
    "Cyngor Sir Ynys Môn ŵŷ",  # Welsh
    "Comhairle nan Eilean Siar àèìòù",  # Gaelic
    "مجلس مدينة",  # Arabic
    "עִירִיָּה",  # Hebrew with points
    "\u200f\u202bRTL\u202c\u200e",  # right-to-left marks and embedding
    "\u202eoverride\u202c",
    "市议会",  # Chinese
    "नगर परिषद",  # Devanagari
    "ਪੰਜਾਬੀ",  # Gurmukhi
    "বাংলা",  # Bengali
    "Ελληνικά",
    "Кириллица",
    "ქართული",
    "ภาษาไทย",
    "\U0001f469\u200d\U0001f467\u200d\U0001f466",  # a family: emoji joined by ZWJ
    "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",  # the Welsh flag (tag characters)
    "e\u0301\u0302\u0303",  # stacked combining marks
    "{{ x }}{% if %}*_`#|<b>&amp;",
    "\ufeff\u00ad\u2028",
]
CHARACTERS = st.characters(exclude_categories=("Cs",))
WORDS = st.one_of(st.sampled_from(SCRIPTS), st.text(CHARACTERS, min_size=1, max_size=12))
SHORT_TEXT = st.lists(WORDS, min_size=1, max_size=5).map(" ".join)
LONG_TEXT = st.lists(WORDS, min_size=30, max_size=80).map(" ".join)  # 200 to 1,000 characters
TEXT = st.one_of(SHORT_TEXT, SHORT_TEXT, LONG_TEXT)
NOT_DRAWN = {"document.reference_docx"}  # names a file the build would read


@pytest.fixture(scope="module")
def questions(library: Library) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["questions", "--json"], obj=CliContext(loaded=library))
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    # questions --json does not give an integer's range; the questionnaire has it.
    for question in found:
        if question["type"] == "integer":
            known = library.questionnaire.questions[question["id"]]
            question["min"], question["max"] = known.minimum, known.maximum
    return found


def answer(question: dict[str, Any]) -> st.SearchStrategy[Any]:
    values = [c["value"] for c in question["choices"]]
    kind = question["type"]
    if kind == "choice":
        return st.sampled_from(values)
    if kind == "multi":
        return st.lists(st.sampled_from(values), min_size=1, unique=True)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(question.get("min") or 1, question.get("max") or 60)
    if kind == "date":
        return st.dates(dt.date(DATE_YEARS[0], 1, 1), dt.date(DATE_YEARS[1], 12, 31))
    return TEXT.filter(lambda t: t.strip())


def profiles(questions: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def draw_profile(draw: st.DrawFn) -> dict[str, Any]:
        profile: dict[str, Any] = {"schema": 1}
        for question in questions:
            if question["id"] in NOT_DRAWN or (not question["required"] and not draw(st.booleans())):
                continue
            namespace, name = question["id"].split(".")
            profile.setdefault(namespace, {})[name] = draw(answer(question))
        return profile

    return draw_profile()


def build_many(library: Library, questions: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """Build ``count`` random profiles (md + docx); the figures of the run."""
    figures: dict[str, Any] = {"built": 0, "longest name": 0}
    start = time.monotonic()

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(profiles(questions))
    def one(profile: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="policy-builder-random-") as folder:
            path = Path(folder) / "profile.yaml"
            path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
            result = build_profile(
                library, path, Path(folder) / "out", ["md", "docx"], build_date=BUILD_DATE, page_numbers=False
            )
            suffixes = sorted(p.suffix for p in result.written)
            assert suffixes.count(".docx") >= 3 and suffixes.count(".md") >= 3, suffixes
        figures["built"] += 1
        figures["longest name"] = max(figures["longest name"], len(profile["organisation"]["name"]))
        if figures["built"] % 50 == 0:  # progress for a long run (seen with -s)
            print(f"{figures['built']} built in {time.monotonic() - start:.0f} s", flush=True)

    one()
    return figures


def test_random_valid_profiles_build_as_markdown_and_word(library, questions):
    figures = build_many(library, questions, int(os.environ.get("RANDOM_PROFILES", "6")))
    assert figures["built"] >= 1


@pytest.mark.slow
def test_a_thousand_random_valid_profiles_build_as_markdown_and_word(library, questions):
    figures = build_many(library, questions, 1000)
    print(f"\nbuilt {figures['built']} random profiles; longest organisation name {figures['longest name']}")
    assert figures["built"] >= 1000
