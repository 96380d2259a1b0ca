"""Regenerating after the library and the stance change: what changed, version history, local wording."""

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, base_profile, once_per_run

from policy_builder.build import build_profile
from policy_builder.cli import main
from policy_builder.content.library import load_library
from policy_builder.content.versions import record
from policy_builder.regen.manifest import read_manifest, split_markdown

V1_DATE = dt.date(2026, 11, 21)
V2_DATE = dt.date(2027, 3, 1)
REWORDED = "boundaries.dual-relationships"
OLD_SENTENCE = "must never discuss work with them."
NEW_SENTENCE = "must never discuss cases with them."


def _bundled_version(clause_id: str) -> int:
    text = (ROOT / "clauses" / "05-boundaries.yaml").read_text(encoding="utf-8")
    start = text.index(f"- id: {clause_id}")
    return int(re.search(r"version: (\d+)", text[start : text.index("- id:", start + 5)]).group(1))


# The reworded clause's version as bundled; the test library raises it by one.
V = _bundled_version(REWORDED)
NEW_CLAUSE = """
  - id: boundaries.gifts-online
    title: Gifts and favours offered online
    level: must
    sources: [SWE-DUAL-RELATIONSHIPS]
    version: 1
    updated: 2027-02-01
    text: |
      Staff must decline gifts, money or favours offered to them online by
      people who use services, and tell their manager.
"""


@pytest.fixture(scope="module")
def library_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Library 2.0.0 as bundled, and 2.1.0 with one clause reworded (version V + 1) and one added: made once
    for the file's tests, which only read them (and load each from its snapshot after the first). Made once a
    run (once_per_run), not once per worker."""

    def make() -> tuple[Path, Path]:
        tmp_path = tmp_path_factory.mktemp("libraries")
        old = tmp_path / "library-1.0"
        shutil.copytree(ROOT / "clauses", old)
        new = tmp_path / "library-1.1"
        shutil.copytree(ROOT / "clauses", new)
        path = new / "05-boundaries.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index(f"- id: {REWORDED}")
        block_end = text.index("- id:", start + 5)
        block = text[start:block_end]
        assert OLD_SENTENCE in block
        block = block.replace(OLD_SENTENCE, NEW_SENTENCE).replace(f"version: {V}", f"version: {V + 1}", 1)
        path.write_text(text[:start] + block + text[block_end:].rstrip("\n") + "\n" + NEW_CLAUSE, encoding="utf-8")
        (new / "library.yaml").write_text('version: "2.1.0"\nreleased: 2027-02-01\n', encoding="utf-8")
        changelog = new / "CHANGELOG.md"
        changelog.write_text(changelog.read_text(encoding="utf-8") + "\n## 2.1.0 (2027-02-01)\n\nTest release.\n")
        library = load_library(new)
        record(new, library.clauses, library.history)
        return old, new

    return once_per_run(tmp_path_factory, "regenerate-libraries", make)


def out(result, name: str) -> Path:
    """The written file whose name ends with ``name``."""
    return next(p for p in result.written if p.name.endswith(name))


MD = ("md",)


def write(path: Path, profile: dict) -> Path:
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return path


def test_library_change_and_stance_change_are_reported_exactly(tmp_path, library_dirs):
    old_lib, new_lib = library_dirs
    profile = base_profile()
    v1 = build_profile(load_library(old_lib), write(tmp_path / "p1.yaml", profile), tmp_path / "v1", build_date=V1_DATE)
    profile["document"]["version"] = "1.1"
    profile["out_of_hours"]["contact"] = "allowed"
    v2 = build_profile(
        load_library(new_lib),
        write(tmp_path / "p2.yaml", profile),
        tmp_path / "v2",
        build_date=V2_DATE,
        previous=v1.written[0],
    )
    old_md, new_docx = v1.written[0], v2.written[1]
    assert old_md.suffix == ".md" and new_docx.suffix == ".docx"
    result = CliRunner().invoke(main, ["changes", str(old_md), str(new_docx), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["old"]["library_version"] == "2.0.0" and report["new"]["library_version"] == "2.1.0"
    assert [c["id"] for c in report["clauses_added"]] == ["boundaries.gifts-online", "out-of-hours.by-judgement"]
    assert [c["id"] for c in report["clauses_removed"]] == ["out-of-hours.rota-only"]
    reworded = report["clauses_reworded"]
    assert [c["id"] for c in reworded] == [REWORDED]
    assert reworded[0]["old_version"] == V and reworded[0]["new_version"] == V + 1
    assert "discuss ~~work~~ **cases** with" in reworded[0]["diff"]
    assert "~~work~~" in reworded[0]["diff"]
    assert {a["question"] for a in report["answers_changed"]} == {"document.version", "out_of_hours.contact"}
    assert [g["id"] for g in report["gaps_new"]] == ["gap.out-of-hours-open"]
    assert report["gaps_resolved"] == []


def test_terminal_and_board_summary(tmp_path, library_dirs):
    old_lib, new_lib = library_dirs
    v1 = build_profile(
        load_library(old_lib), write(tmp_path / "p.yaml", base_profile()), tmp_path / "v1", MD, build_date=V1_DATE
    )
    v2 = build_profile(load_library(new_lib), tmp_path / "p.yaml", tmp_path / "v2", MD, build_date=V2_DATE)
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(
        main, ["changes", str(out(v1, "manifest.json")), str(out(v2, "manifest.json")), "--output", str(summary)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "Clause library 2.0.0 -> 2.1.0"
    assert lines[2] == "1 clause added; 1 clause reworded"
    # The number depends on how many boundaries clauses the policy prints.
    assert any(re.fullmatch(r"  \+ 5\.\d+ Gifts and favours offered online", line) for line in lines)
    assert any(line.startswith("  ~ 5.") and line.endswith("People staff already know") for line in lines)
    assert any("[-work-] {+cases+}" in line for line in lines)
    board = summary.read_text(encoding="utf-8")
    assert board.startswith("# Summary of changes: London Borough of Eastbrook\n")
    assert "## Clauses reworded" in board and "## Clauses added" in board
    docx_out = tmp_path / "summary.docx"
    args = ["changes", str(out(v1, "manifest.json")), str(out(v2, "manifest.json")), "--output", str(docx_out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    from docx import Document

    board_docx = Document(str(docx_out))
    assert board_docx.paragraphs[0].text == "Summary of changes: London Borough of Eastbrook"
    runs = [run for paragraph in board_docx.paragraphs for run in paragraph.runs]
    assert any(run.style.name == "Deleted Text" and run.text == "work" for run in runs)
    assert any(run.style.name == "Strong" and run.text == "cases" for run in runs)


def test_version_history_and_summary_inside_the_new_policy(tmp_path, library_dirs):
    old_lib, new_lib = library_dirs
    profile = base_profile()
    v1 = build_profile(
        load_library(old_lib), write(tmp_path / "p1.yaml", profile), tmp_path / "v1", MD, build_date=V1_DATE
    )
    profile["document"]["version"] = "1.1"
    profile["document"]["effective_date"] = dt.date(2027, 3, 1)
    v2 = build_profile(
        load_library(new_lib),
        write(tmp_path / "p2.yaml", profile),
        tmp_path / "v2",
        ("md", "docx"),
        build_date=V2_DATE,
        previous=out(v1, "policy.md"),
    )
    markdown = v2.written[0].read_text(encoding="utf-8")
    assert "### Version history" in markdown
    assert "| 1.0 | 1 December 2026 | Issued. |" in markdown  # dates in words; the manifest keeps ISO dates
    # The review clause names the review date, so it is reworded too.
    assert "| 1.1 | 1 March 2027 | 1 clause added; 2 clauses reworded; 2 answers changed. |" in markdown
    assert "Changes since version 1.0:" in markdown
    assert "- Reworded 5." in markdown and "People staff already know." in markdown
    from docx import Document

    word = Document(str(out(v2, "policy.docx")))
    history = next(t for t in word.tables if t.rows[0].cells[0].text == "Version")
    assert [[c.text for c in row.cells] for row in history.rows] == [
        ["Version", "Date", "Summary"],
        ["1.0", "1 December 2026", "Issued."],
        ["1.1", "1 March 2027", "1 clause added; 2 clauses reworded; 2 answers changed."],
    ]
    body = "\n".join(p.text for p in word.paragraphs)
    assert "Changes since version 1.0:" in body and "Reworded 5." in body
    manifest = read_manifest(out(v2, "manifest.json"))
    assert [h["version"] for h in manifest["history"]] == ["1.0", "1.1"]


def test_manifest_is_embedded_in_both_outputs_and_written_beside_them(tmp_path):
    result = build_profile(
        load_library(ROOT / "clauses"), ROOT / "profiles" / "example-council.yaml", tmp_path, build_date=V1_DATE
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "eastbrook-council-manifest.json" in names
    from_json = json.loads((tmp_path / "eastbrook-council-manifest.json").read_text())
    from_md = read_manifest(result.written[0])
    from_docx = read_manifest(result.written[1])
    assert from_json["library"]["version"] == "2.0.0"
    assert from_json["profile"]["sha256"] and len(from_json["profile"]["sha256"]) == 64
    assert from_json["answers"]["messaging.record_system"] == "Mosaic"
    assert from_json["tool"]["name"] == "policy-builder"
    for other in (from_md, from_docx):
        assert [(c["id"], c["sha256"]) for c in other["clauses"]] == [
            (c["id"], c["sha256"]) for c in from_json["clauses"]
        ]
    assert [c["text"] for c in from_md["clauses"]] == [c["text"] for c in from_json["clauses"]]
    # The Markdown opens with the policy; its manifest is a comment at its end, which readers do not see.
    markdown = result.written[0].read_text()
    assert markdown.startswith("**OFFICIAL**\n\n# Social Media and Digital Contact Policy")
    assert (
        '\n<!-- policy-builder manifest: data for policy-builder changes and check, not part of the policy\n{\n "policy_builder_manifest": {\n'
        in markdown
    )
    assert markdown.endswith("}\n-->\n")


def test_a_markdown_policy_with_its_manifest_as_front_matter_is_still_read(tmp_path):
    """Policies built before 2.0 carry the manifest as front matter; changes, check and --previous read both."""
    result = build_profile(
        load_library(ROOT / "clauses"), ROOT / "profiles" / "example-council.yaml", tmp_path, build_date=V1_DATE
    )
    markdown = result.written[0].read_text()
    body, source = split_markdown(markdown)
    old = tmp_path / "old.md"
    old.write_text(f"---\n{source}\n---\n\n{body}", encoding="utf-8")
    assert read_manifest(old)["clauses"] == read_manifest(result.written[0])["clauses"]


def test_an_answer_with_a_comment_end_cannot_close_the_manifest_comment(tmp_path):
    profile = yaml.safe_load((ROOT / "profiles" / "example-council.yaml").read_text())
    profile["messaging"]["record_system"] = "Mosaic --> <script>x</script>"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    result = build_profile(load_library(ROOT / "clauses"), path, tmp_path / "out", build_date=V1_DATE)
    markdown = result.written[0].read_text()
    comment = markdown[markdown.index("<!-- policy-builder manifest") :]
    assert comment.count("-->") == 1 and comment.endswith("-->\n")
    assert read_manifest(result.written[0])["answers"]["messaging.record_system"] == "Mosaic --> <script>x</script>"


def test_local_wording_is_kept_marked_and_warned_about_when_upstream_moves(tmp_path, library_dirs):
    old_lib, new_lib = library_dirs
    profile = base_profile()
    profile["local"] = [
        {
            "replace": REWORDED,
            "based_on_version": V,
            "reason": "agreed by the Practice Board in May 2026",
            "text": "Staff must tell their manager about any dual relationship on the day they notice it.",
        },
        {
            "add_to": "messaging",
            "after": "messaging.keep-in-touch-only",
            "title": "Messages in Welsh",
            "text": "Staff reply in Welsh to a message written in Welsh.",
        },
    ]
    path = write(tmp_path / "p.yaml", profile)
    clean = build_profile(load_library(old_lib), path, tmp_path / "v1", MD, build_date=V1_DATE)
    assert clean.policy.local_notes == ()
    moved = build_profile(load_library(new_lib), path, tmp_path / "v2", MD, build_date=V2_DATE)
    (note,) = moved.policy.local_notes
    assert note.clause_id == REWORDED
    assert f"based on version {V}; the library's clause is now version {V + 1}. Your wording is kept" in note.message
    assert "~~work~~ **cases**" in (note.upstream_change or "")
    markdown = moved.written[0].read_text(encoding="utf-8")
    assert "Staff must tell their manager about any dual relationship on the day they notice it." in markdown
    assert (
        "*Local wording replacing the standard clause by Eastbrook Council: agreed by the Practice Board in May 2026.*"
        in markdown
    )
    assert OLD_SENTENCE not in markdown and NEW_SENTENCE not in markdown
    welsh = markdown.index("Messages in Welsh")
    assert markdown.index("Messaging apps for keeping in touch") < welsh < markdown.index("Only approved apps")
    assert "*Local wording added by Eastbrook Council.*" in markdown
    report = out(moved, "gap-report.md").read_text(encoding="utf-8")
    assert "## Local wording to review" in report and "Upstream change to boundaries.dual-relationships" in report
    cli = CliRunner().invoke(
        main, ["--library", str(new_lib), "build", str(path), "--out", str(tmp_path / "v3"), "--format", "md"]
    )
    assert f"Local wording: your local wording for boundaries.dual-relationships is based on version {V}" in cli.output


def test_local_entry_naming_an_unknown_clause_is_an_error_with_its_line(tmp_path, write_profile):
    profile = base_profile()
    profile["local"] = [{"replace": "boundaries.dual-relationship", "based_on_version": 1, "reason": "x", "text": "y"}]
    path = write_profile(profile, "p.yaml")
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if "replace:" in row)
    assert result.output.splitlines()[0] == (
        f"Error: {path}:{line}: local: replace names unknown clause 'boundaries.dual-relationship' "
        "(did you mean 'boundaries.dual-relationships'?); see 'policy-builder coverage' for clause ids"
    )


def test_check_flags_policies_from_an_older_library_and_past_review(tmp_path, library_dirs):
    old_lib, new_lib = library_dirs
    v1 = build_profile(
        load_library(old_lib), ROOT / "profiles" / "example-council.yaml", tmp_path, MD, build_date=V1_DATE
    )
    policy = out(v1, "policy.md")
    ok = CliRunner().invoke(main, ["--library", str(old_lib), "check", str(policy)])
    assert ok.exit_code == 0, ok.output
    assert "Not due for review." in ok.output.splitlines()
    due = CliRunner().invoke(main, ["--library", str(new_lib), "check", str(policy)])
    assert due.exit_code == 1
    assert "Built from clause library 2.0.0; the current library is 2.1.0." in due.output
    assert re.search(r"  \+ 5\.\d+ Gifts and favours offered online \(new\)", due.output)
    assert f"People staff already know (version {V} -> {V + 1})" in due.output
    charity = CliRunner().invoke(main, ["check", str(ROOT / "profiles" / "small-charity-wales.yaml")])
    assert charity.exit_code == 1 and "Review overdue" in charity.output


def test_board_summary_shows_answers_as_typed_never_as_markdown(tmp_path, library):
    from policy_builder.regen.changes import compare, render_markdown

    old = {"organisation": "Acme", "document": {"version": "1"}, "answers": {"contacts.ripa": "a"}, "clauses": []}
    new = {**old, "answers": {"contacts.ripa": "**Legal** | <b>x</b>"}}
    board = render_markdown(compare(old, new, library.questionnaire))
    # The question in words (its prompt), never its id; the answers exactly as typed.
    assert r"| Who coordinates surveillance authorisations? | a | \*\*Legal\*\* \| \<b\>x\</b\> |" in board
    assert "contacts.ripa" not in board
