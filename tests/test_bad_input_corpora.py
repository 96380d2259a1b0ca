"""The bad-input corpora beside the profile and library ones: manifests read back, and reference templates.

tests/bad_inputs/manifests/: each case damages the example council's manifest (see the README there)
and is read by `changes`, `check` and `build --previous`; each must exit 2 with one line naming the
file and saying `expect`, never a traceback.

tests/bad_inputs/templates/: each case patches one part of the bundled reference template (with a
header added) and is used by `build --reference-docx`; it must exit 2 with one line naming the
template and saying `expect`, and write nothing.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PROFILES, ROOT, run
from docx import Document

from policy_builder.content.library import Library
from policy_builder.core.errors import display_path

BAD = Path(__file__).resolve().parent / "bad_inputs"
MANIFEST_CASES = sorted((BAD / "manifests").glob("*.yaml"))
TEMPLATE_CASES = sorted((BAD / "templates").glob("*.yaml"))
EXAMPLE = PROFILES / "example-council.yaml"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def error_line(result: Any) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not CONTROL.search(result.output), result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_the_corpora_are_big_enough():
    assert len(MANIFEST_CASES) >= 15
    assert len(TEMPLATE_CASES) >= 8


# --- manifests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(library: Library, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("issued")
    result = run("build", EXAMPLE, "--out", out, "--format", "md", library=library)
    assert result.exit_code in (0, 1), result.output
    return next(out.glob("*-manifest.json"))


def _at(data: Any, dotted: str) -> tuple[Any, Any]:
    *parents, last = [int(k) if k.isdigit() else k for k in dotted.split(".")]
    for key in parents:
        data = data[key]
    return data, last


def damaged(case: dict[str, Any], good: Path) -> bytes:
    if "raw" in case:
        return case["raw"].encode("utf-8")
    if "raw_bytes" in case:
        return case["raw_bytes"].encode(case["encoding"])
    if "raw_repeat" in case:
        text, times = case["raw_repeat"]
        return (text * times).encode("utf-8")
    data = json.loads(good.read_text(encoding="utf-8"))
    for dotted, value in (case.get("set") or {}).items():
        parent, key = _at(data, dotted)
        parent[key] = value
    for dotted in case.get("delete") or []:
        parent, key = _at(data, dotted)
        del parent[key]
    return json.dumps(data, indent=2).encode("utf-8")


@pytest.mark.parametrize("case_path", MANIFEST_CASES, ids=lambda p: p.stem)
def test_a_damaged_manifest_is_one_line_in_every_command_that_reads_it(case_path, issued, library, tmp_path):
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    bad = tmp_path / "eastbrook-council-manifest.json"
    bad.write_bytes(damaged(case, issued))
    out = tmp_path / "out"
    for args in (
        ("changes", issued, bad),
        ("check", bad),
        ("build", EXAMPLE, "--out", out, "--format", "md", "--previous", bad),
    ):
        line = error_line(run(*args, library=library))
        assert line.startswith(f"Error: {display_path(bad)}"), (args[0], line)
        assert case["expect"] in line, (args[0], line)
    assert not out.exists(), "a build with a damaged --previous wrote files"


# --- reference templates -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_with_header() -> bytes:
    document = Document(str(ROOT / "templates" / "reference.docx"))
    document.sections[0].header.paragraphs[0].text = "Eastbrook Council HEADERTEXT"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def patched_template(case: dict[str, Any], data: bytes) -> bytes:
    if "raw" in case:
        return case["raw"].encode("utf-8")
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = source.namelist()
        header = next(n for n in names if n.startswith("word/header"))
        part = case["part"].replace("HEADER", header.removeprefix("word/"))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                content = source.read(info.filename)
                if info.filename == part and "replace" in case:
                    assert case["replace"].encode() in content, (part, case["replace"])
                    content = content.replace(case["replace"].encode(), case["with"].encode(), 1)
                elif info.filename == part and "content" in case:
                    content = case["content"].encode()
                target.writestr(info, content)
            if part not in names:
                target.writestr(part, case["content"].encode())
    return out.getvalue()


@pytest.mark.parametrize("case_path", TEMPLATE_CASES, ids=lambda p: p.stem)
def test_a_hostile_or_broken_template_is_one_line_and_writes_nothing(
    case_path, template_with_header, library, tmp_path
):
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    template = tmp_path / "house-style.docx"
    template.write_bytes(patched_template(case, template_with_header))
    with zipfile.ZipFile(io.BytesIO(template_with_header)) as archive:
        header = next(n for n in archive.namelist() if n.startswith("word/header"))
    expect = case["expect"].replace("word/HEADER", header)
    out = tmp_path / "out"
    line = error_line(run("build", EXAMPLE, "--out", out, "--reference-docx", template, library=library))
    assert line.startswith(f"Error: {display_path(template)}: "), line
    assert expect in line, line
    assert not out.exists() or not list(out.iterdir()), "a refused template still wrote files"
