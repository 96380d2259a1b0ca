#!/usr/bin/env python3
"""Fuzz the profile loader with atheris (libFuzzer for Python); not part of CI.

Each input is either a profile file as bytes (mutated from the bundled and
the broken profiles) or, when it starts with "S", decoded into answers for
every question (mostly valid, some of the wrong type, free text of any
characters) and written as YAML, so that many load and go on to be assembled
and rendered to Markdown. Anything but success or a PolicyBuilderError whose
message is one line is a crash: atheris stops, prints the traceback and saves
the input as crash-<hash>.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python scripts/fuzz_profile_loader.py -max_total_time=300
    .venv/bin/python scripts/fuzz_profile_loader.py crash-<hash>      # replay one input

Arguments are libFuzzer's (-max_total_time, -runs, -seed, -jobs, corpus folders).
Without a corpus folder it starts from the bundled profiles and the bad-input
corpus (tests/bad_inputs/profiles), copied to a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports():
    import yaml  # instrumented so coverage guides the fuzzer through the parser

    from policy_builder.cli import error_line
    from policy_builder.content.library import load_library
    from policy_builder.core.errors import PolicyBuilderError
    from policy_builder.pipeline.assemble import build_policy
    from policy_builder.pipeline.profile import load_profile
    from policy_builder.render.markdown import render_policy

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = load_library(ROOT / "clauses")
# One fixed folder, emptied at the start: libFuzzer ends the process itself, so nothing runs at exit.
WORK = Path(tempfile.gettempdir()) / "policy-builder-fuzz"
TARGET = WORK / "profile.yaml"
BUILD_DATE = dt.date(2026, 11, 21)
stats = {"inputs": 0, "loaded": 0, "refused": 0}


def structured(data: bytes) -> bytes:
    """Answers for every question, mostly of the right type, as a YAML profile."""
    fdp = atheris.FuzzedDataProvider(data)
    wrong_types = fdp.ConsumeBool()  # else every answer has the right type, so most inputs build
    profile: dict[str, Any] = {"schema": 1}
    for qid, question in LIBRARY.questionnaire.questions.items():
        action = fdp.ConsumeIntInRange(0, 9 if wrong_types else 6)
        if action < 2 and not question.required:
            continue
        value: Any
        if action == 7:
            value = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
        elif action == 8:
            value = fdp.ConsumeInt(4)
        elif action == 9:
            value = fdp.PickValueInList([None, True, [], {}, ["x"], 1.5, dt.date(1, 1, 1)])
        elif question.type == "choice":
            value = fdp.PickValueInList(question.choice_values)
        elif question.type == "multi":
            value = [v for v in question.choice_values if fdp.ConsumeBool()] or question.choice_values[:1]
        elif question.type == "boolean":
            value = fdp.ConsumeBool()
        elif question.type == "integer":
            spread = 1 if wrong_types else 0
            value = fdp.ConsumeIntInRange(question.minimum - spread, question.maximum + spread)
        elif question.type == "date":
            days = 40000 if wrong_types else 9000
            value = dt.date(2050, 1, 1) + dt.timedelta(days=fdp.ConsumeIntInRange(-days, days))
        else:
            value = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(1, 60))
        namespace, name = qid.split(".")
        profile.setdefault(namespace, {})[name] = value
    return yaml.safe_dump(profile, allow_unicode=True, sort_keys=False).encode("utf-8")


def test_one_input(data: bytes) -> None:
    stats["inputs"] += 1
    if stats["inputs"] % 2000 == 0:
        print(f"fuzz: {stats['inputs']} inputs, {stats['loaded']} built, {stats['refused']} refused with a message")
    if data[:1] == b"S":
        data = structured(data[1:])
    TARGET.write_bytes(data)
    try:
        answers = load_profile(TARGET, LIBRARY.questionnaire, LIBRARY.nations, build_date=BUILD_DATE)
        render_policy(build_policy(LIBRARY, answers))
        stats["loaded"] += 1
    except PolicyBuilderError as exc:
        stats["refused"] += 1
        line = error_line(exc)
        if "\n" in line or "\r" in line:
            raise AssertionError(f"message is not one line: {line!r}") from None


def seed_corpus() -> Path:
    corpus = WORK / "corpus"
    corpus.mkdir()
    for folder in (ROOT / "profiles", ROOT / "tests" / "bad_inputs" / "profiles"):
        for path in sorted(folder.glob("*.yaml")):
            shutil.copy(path, corpus / f"{folder.name}-{path.name}")
    for number in range(16):  # structured inputs: "S" and the bytes the answers are decoded from
        (corpus / f"structured-{number}").write_bytes(b"S" + bytes((number * 37 + i) % 256 for i in range(400)))
    return corpus


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(str(seed_corpus()))
    if not any(a.startswith("-timeout") for a in argv):
        argv.append("-timeout=10")  # seconds for one input: a hang is a finding too
    argv.append("-print_final_stats=1")  # stat::number_of_executed_units is the number of inputs tried
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
