"""The bad-input corpus: every broken profile or clause file gets exit 2 and one clear line.

Each file in tests/bad_inputs/profiles/ is a broken profile whose first lines say
what the user must read (`# expect: ...`) and on which line (`# line: N`).
Each file in tests/bad_inputs/library/ patches a copy of clauses/ (see the README
there). Inputs too big or too binary to commit are made here, in tmp_path.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import PROFILES, ROOT, short_render_budget

from policy_builder.cli import CliContext, main
from policy_builder.content.library import Library
from policy_builder.core.errors import display_path

BAD = Path(__file__).resolve().parent / "bad_inputs"
PROFILE_CASES = sorted((BAD / "profiles").glob("*.yaml"))
LIBRARY_CASES = sorted((BAD / "library").glob("*.yaml"))
EXAMPLE = PROFILES / "example-council.yaml"
MINIMAL = """schema: 1
organisation:
  name: London Borough of Eastbrook
  nation: england
  type: local_authority
  services: [children, adults]
document:
  owner: Principal Social Worker
"""
# Anything below a space except the newline would let a file's bytes drive the terminal.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def run(*args: Any, library: Library | None = None) -> Result:
    obj = CliContext(loaded=library) if library is not None else None
    return CliRunner().invoke(main, [str(a) for a in args], obj=obj)


def error_line(result: Result) -> str:
    """The one 'Error: ' line of a failed command, after checking it failed cleanly."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not CONTROL.search(result.output), repr(result.output)
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def assert_names(line: str, path: Path, line_number: Any, expect: str) -> None:
    """The message names the file, then the line (None: no line; ...: any line), then says ``expect``."""
    where = display_path(path) + (f":{line_number}" if line_number and line_number is not ... else "")
    if line_number is ...:
        assert re.match(rf"Error: {re.escape(where)}:\d+: ", line), f"{line!r} does not name {where!r} and a line"
    else:
        assert line.startswith(f"Error: {where}: "), f"{line!r} does not start with {where!r}"
    assert expect in line, f"{line!r} does not say {expect!r}"


# --- broken profiles -------------------------------------------------------------------


def profile_expectation(path: Path) -> tuple[str, int | None]:
    expect, line = None, None
    for row in path.read_text(encoding="utf-8").splitlines()[:3]:
        if row.startswith("# expect: "):
            expect = row[len("# expect: ") :]
        elif row.startswith("# line: "):
            line = int(row[len("# line: ") :])
    assert expect, f"{path.name}: first line must be '# expect: <what the message says>'"
    return expect, line


def test_the_corpus_is_big_enough():
    assert len(PROFILE_CASES) >= 40
    assert len(LIBRARY_CASES) >= 20


@pytest.mark.parametrize("path", PROFILE_CASES, ids=lambda p: p.stem)
def test_broken_profile_is_one_clear_line_and_exit_2(path, library, tmp_path):
    expect, line = profile_expectation(path)
    out = tmp_path / "out"
    result = run("build", path, "--out", out, library=library)
    assert_names(error_line(result), path, line, expect)
    assert not out.exists() or not list(out.iterdir()), "a failed build wrote files"
    # Every command that reads a profile says the same.
    assert error_line(run("gaps", path, library=library)) == error_line(result)


def test_a_bad_profile_among_good_ones_is_reported_and_the_others_are_built(library, tmp_path):
    bad = [PROFILE_CASES[0], PROFILE_CASES[-1]]
    result = run("build", bad[0], EXAMPLE, bad[1], PROFILES / "strict-trust.yaml", "--out", tmp_path, library=library)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert [e.split(":")[1].strip() for e in errors] == [display_path(p) for p in bad]
    assert "2 of 4 profiles failed." in result.output
    assert (tmp_path / "eastbrook-council-social-media-policy.docx").exists()
    assert len(list(tmp_path.glob("*-social-media-policy.md"))) == 2


def generated_profiles(tmp_path: Path) -> list[tuple[Path, str, int | None]]:
    """(file, what the message says, line) for inputs made on the fly."""
    good = EXAMPLE.read_bytes()
    cases: list[tuple[str, bytes | None, str, int | None]] = [
        ("empty.yaml", b"", "the profile is empty; it needs at least 'schema: 1'", None),
        (
            "binary.yaml",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "is a binary file, not YAML text",
            None,
        ),
        ("big.yaml", None, "file is 51200 KB; the most allowed is 2048 KB", None),
        ("latin1.yaml", b"schema: 1\norganisation:\n  name: Caf\xe9 Trust\n", "is not UTF-8 text; save it as UTF-8", 3),
        ("utf16.yaml", "schema: 1\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8", None),
        (
            "control.yaml",
            b"schema: 1\norganisation:\n  name: Bell\x07 Trust\n",
            "character U+0007 is not allowed in YAML",
            3,
        ),
        ("deep.yaml", b"schema: 1\norganisation:\n  name: " + b"[" * 100_000, "nested more than 40 levels deep", 3),
        (
            "deep-mapping.yaml",
            b"schema: 1\n" + b"".join(b" " * i + b"k:\n" for i in range(1500)),
            "nested more than 40 levels deep",
            ...,  # the line where PyYAML's own recursion gave out
        ),
        ("truncated.yaml", good[: good.index(b"messaging:") + 20], "", None),
    ]
    made = []
    for name, data, expect, line in cases:
        path = tmp_path / name
        if data is None:
            with path.open("wb") as handle:  # 50 MB without holding it in memory twice
                handle.write(good)
                handle.truncate(50 * 1024 * 1024)
        else:
            path.write_bytes(data)
        made.append((path, expect, line))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    made.append((folder, "is a folder, not a YAML file", None))
    made.append((tmp_path / "missing.yaml", "file not found", None))
    return made


def test_generated_bad_profiles(library, tmp_path):
    for path, expect, line in generated_profiles(tmp_path):
        if path.name == "truncated.yaml":
            # Cut mid-answer: whatever the message, it must be one clean line.
            error_line(run("build", path, "--out", tmp_path / "out", library=library))
            continue
        result = run("build", path, "--out", tmp_path / "out", library=library)
        assert_names(error_line(result), path, line, expect)
    assert not (tmp_path / "out").exists()


# --- broken clause libraries ----------------------------------------------------------------


def copy_library(library_dir: Path, *keep: str) -> None:
    """A copy of clauses/ with every shared file but only the section files named (loading stays quick)."""
    source = ROOT / "clauses"
    library_dir.mkdir()
    for path in source.iterdir():
        section = path.name[0].isdigit()
        if path.is_file() and (path.name in keep or (not section and path.name != "clause-history.yaml")):
            shutil.copy(path, library_dir / path.name)


def apply_case(case: dict[str, Any], library_dir: Path) -> Path:
    target = library_dir / case["file"]
    if case.get("delete"):
        target.unlink()
    elif "content" in case:
        target.write_text(case["content"], encoding="utf-8")
    elif "append" in case:
        text = target.read_text(encoding="utf-8")
        target.write_text(text.rstrip("\n") + "\n\n" + case["append"], encoding="utf-8")
    else:
        text = target.read_text(encoding="utf-8")
        assert case["replace"] in text, f"{case['file']} no longer contains the text this case replaces"
        target.write_text(text.replace(case["replace"], case["with"], 1), encoding="utf-8")
    return target


def line_of(path: Path, marker: str) -> int:
    text = path.read_text(encoding="utf-8")
    index = text.find(marker)
    assert index >= 0 and text.find(marker, index + 1) < 0, f"'{marker}' must appear once in {path.name}"
    return text.count("\n", 0, index) + 1


@pytest.mark.parametrize("case_path", LIBRARY_CASES, ids=lambda p: p.stem)
def test_broken_library_is_one_clear_line_and_exit_2(case_path, tmp_path, library, monkeypatch):
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    if "render_seconds" in case:  # a shorter render budget, so a runaway loop is stopped quickly
        short_render_budget(monkeypatch, case["render_seconds"])
    library_dir = tmp_path / "clauses"
    copy_library(library_dir, "01-purpose.yaml", case["file"])
    target = apply_case(case, library_dir)
    line = line_of(target, case["line_of"]) if case.get("line_of") else None
    profile = EXAMPLE
    if case.get("profile") == "minimal":
        profile = tmp_path / "minimal.yaml"
        profile.write_text(MINIMAL, encoding="utf-8")
    out = tmp_path / "out"
    result = run("--library", library_dir, "build", profile, "--out", out, "--format", "md")
    message = error_line(result)
    assert_names(message, target, line, case["expect"])
    assert not out.exists() or not list(out.iterdir()), "a failed build wrote files"
    if case.get("at") != "build":
        # Broken at load: every command that reads the library says the same.
        assert error_line(run("--library", library_dir, "lint")) == message


def test_generated_bad_library_files(tmp_path):
    library_dir = tmp_path / "clauses"
    copy_library(library_dir, "18-review.yaml")
    section = library_dir / "18-review.yaml"
    good = section.read_bytes()
    for data, expect in [
        (b"\x00\x01\x02" * 100, "is a binary file, not YAML text"),
        (None, "file is 51200 KB; the most allowed is 2048 KB"),
        (good.replace(b"policy", b"polic\xff", 1), "is not UTF-8 text; save it as UTF-8"),
        # libyaml (used for library files) recurses in C: these crashed the process before it measured depth.
        (b"section: " + b"[ " * 100_000, "nested more than 40 levels deep"),
        (b"- " * 50_000 + b"a\n", "nested more than 40 levels deep"),
    ]:
        if data is None:
            with section.open("wb") as handle:
                handle.write(good)
                handle.truncate(50 * 1024 * 1024)
        else:
            section.write_bytes(data)
        message = error_line(run("--library", library_dir, "lint"))
        assert message.startswith(f"Error: {display_path(section)}"), message
        assert expect in message
    result = run("--library", tmp_path / "nowhere", "build", EXAMPLE, "--out", tmp_path / "out")
    assert error_line(result) == f"Error: {display_path(tmp_path / 'nowhere')}: clause library folder not found"


@pytest.mark.parametrize(
    ("name", "old", "new", "expect"),
    [
        ("clause-history.yaml", "  version: 1\n", "  version: one\n", "[0].version: expected a whole number, got text"),
        ("migrations.yaml", None, "renamed: [messaging.old]\n", "renamed: expected a mapping, got a list"),
        ("leaflet.yaml", "title:", "colour: blue\ntitle:", "colour: is not a field here; allowed: blocks, title"),
        ("actions.yaml", "description: ", "description:\n      - ", ": expected text, got a list"),
    ],
    ids=["history", "migrations", "leaflet", "actions"],
)
def test_every_library_file_is_checked_by_its_schema_with_the_line(tmp_path, name, old, new, expect):
    """Files outside the corpus's build path (read by lint, by handouts, or with the questionnaire)."""
    library_dir = tmp_path / "clauses"
    copy_library(library_dir, "18-review.yaml")
    target = library_dir / name
    source = ROOT / "clauses" / name
    text = source.read_text(encoding="utf-8")
    target.write_text(new if old is None else text.replace(old, new, 1), encoding="utf-8")
    command = (
        ["lint"] if name != "leaflet.yaml" else ["build", EXAMPLE, "--out", tmp_path / "out", "--format", "leaflet"]
    )
    message = error_line(run("--library", library_dir, *command))
    assert re.match(rf"Error: {re.escape(display_path(target))}:\d+: ", message), message
    assert expect in message, message


def test_a_symlink_or_fifo_in_the_library_is_refused_before_anything_is_read(tmp_path):
    library_dir = tmp_path / "clauses"
    copy_library(library_dir, "18-review.yaml")
    loop = library_dir / "19-loop.yaml"
    loop.symlink_to(loop)  # a link to itself: reading it would fail or, through a folder loop, never end
    message = error_line(run("--library", library_dir, "lint"))
    assert (
        message
        == f"Error: {display_path(loop)}: is a symbolic link; a clause library holds only plain files (copy the file in instead)"
    )
    loop.unlink()
    (library_dir / "summary.yaml").unlink()
    os.mkfifo(library_dir / "summary.yaml")  # a FIFO blocks the first read for ever
    message = error_line(run("--library", library_dir, "build", EXAMPLE, "--out", tmp_path / "out"))
    assert message.endswith(
        "summary.yaml: is not a plain file (a pipe, socket or device); remove it from the library folder"
    )
    assert not (tmp_path / "out").exists()


def test_a_failed_build_leaves_the_previous_policy_untouched(example_issue, tmp_path, library):
    out = tmp_path / "out"
    example_issue(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # The same council, whose clause library now fails while the policy is being written.
    library_dir = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", library_dir)
    case = yaml.safe_load((BAD / "library" / "24-runtime-division-by-zero.yaml").read_text(encoding="utf-8"))
    apply_case(case, library_dir)
    error_line(run("--library", library_dir, "build", EXAMPLE, "--out", out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_interrupted_write_leaves_the_previous_files_whole(example_issue, tmp_path, library, monkeypatch):
    out = tmp_path / "out"
    example_issue(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import errno
    import os

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("policy_builder.core.output.os.replace", disk_full)
    message = error_line(run("build", EXAMPLE, "--out", out, library=library))
    assert message.endswith("cannot write (No space left on device); the previous files are unchanged"), message
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file left either


def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path, library):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    message = error_line(run("build", EXAMPLE, "--out", blocker / "out", library=library))
    assert message == f"Error: {display_path(blocker / 'out')}: cannot write here (Not a directory)"


def test_loading_keeps_nothing_behind(tmp_path):
    """The loader used to cache every YAML node it read: a long-running process grew by ~80 KB a build."""
    from policy_builder.core import yamlio as _yaml
    from policy_builder.core.errors import ProfileError

    _yaml.load(EXAMPLE, ProfileError)
    with pytest.raises(ProfileError):
        _yaml.load(BAD / "profiles" / "48-python-name-tag.yaml", ProfileError)  # fails while constructing a value
    assert not _yaml._scalar_loader().constructed_objects  # this thread's: one a thread (issue 18)
    assert not _yaml._scalar_loader().recursive_objects
