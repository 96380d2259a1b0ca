"""The three documents of one build: the policy (rules), the practice guide (why and how), the sources annex.

The bundled library may not mark any clause `document: guide` yet, so these
tests build from a copy of it with a clause of section 5, and the whole of the
principles section, moved to the guide, and a pointer to the first.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, PROFILES, ROOT

from policy_builder.content.library import Library, load_library
from policy_builder.content.models import Policy
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.markdown import render_annex, render_guide, render_policy

MOVED = "boundaries.online-closeness"
POINTING = "boundaries.dual-relationships"
EXAMPLE = PROFILES / "example-council.yaml"


def move_to_guide(text: str, clause_id: str) -> str:
    """A clause of a section file made a guide clause: level note, `document: guide`, no rules."""
    lines = text.split("\n")
    start = lines.index(f"  - id: {clause_id}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")), len(lines))
    block, out, in_rules = lines[start:end], [], False
    for line in block:
        if in_rules and line.startswith("      "):
            continue
        in_rules = line == "    rules:"
        if in_rules or line.startswith(("    document: ", "    guide: ")):
            continue  # the library may already have moved it, or point from it
        if line.startswith("    level: "):
            out += ["    level: note", "    document: guide"]
        else:
            out.append(line)
    return "\n".join(lines[:start] + out + lines[end:])


def add_pointer(text: str, clause_id: str, guide_id: str) -> str:
    head = f"  - id: {clause_id}\n"
    start = text.index(head)
    end = text.find("\n  - id: ", start + 1)
    end = len(text) if end == -1 else end
    block = re.sub(r"\n    guide: \S+", "", text[start:end], count=1)  # one pointer: ours
    block = block.replace(head, f"{head}    guide: {guide_id}\n", 1)
    return text[:start] + block + text[end:]


def library_copy(folder: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    target = folder / "clauses"
    shutil.copytree(ROOT / "clauses", target)
    edit(target)
    return target


def _guide_edits(root: Path) -> None:
    boundaries = root / "05-boundaries.yaml"
    text = add_pointer(move_to_guide(boundaries.read_text(encoding="utf-8"), MOVED), POINTING, MOVED)
    boundaries.write_text(text, encoding="utf-8")
    principles = root / "03-principles.yaml"
    text = principles.read_text(encoding="utf-8")
    for clause_id in re.findall(r"^  - id: (\S+)$", text, re.M):
        text = move_to_guide(text, clause_id)
    principles.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def guide_root(tmp_path_factory) -> Path:
    return library_copy(tmp_path_factory.mktemp("guide-library"), _guide_edits)


@pytest.fixture(scope="module")
def guide_library(guide_root: Path) -> Library:
    return load_library(guide_root)


@pytest.fixture(scope="module")
def policy(guide_library: Library) -> Policy:
    answers = load_profile(EXAMPLE, guide_library.questionnaire, guide_library.nations, build_date=BUILD_DATE)
    return build_policy(guide_library, answers)


def test_the_policy_takes_policy_clauses_only_and_the_guide_the_moved_ones(policy: Policy):
    policy_ids = {c.id for c in policy.clauses}
    guide_ids = [c.id for c in policy.guide_clauses]
    assert MOVED not in policy_ids and MOVED in guide_ids
    assert not [i for i in policy_ids if i.startswith("principles.")]
    assert [i for i in guide_ids if i.startswith("principles.")]
    text = render_policy(policy)
    # Its heading is gone from the policy: only the section's pointer line names it.
    assert not re.search(r"^#+ .*Online closeness", text, re.M) and "## 3. Principles" not in text


def test_guide_sections_carry_the_policy_section_numbers(policy: Policy):
    boundaries = next(s for s in policy.sections if s.id == "boundaries")
    guide_section = next(s for s in policy.guide if s.id == "boundaries")
    assert guide_section.number == str(boundaries.number)
    position = [c.id for c in guide_section.clauses].index(MOVED) + 1
    moved = guide_section.clauses[position - 1]
    assert moved.number == f"G{boundaries.number}.{position}"
    # Principles has no policy clause left: its guide section is inserted after definitions, "2A".
    definitions = next(s for s in policy.sections if s.id == "definitions")
    principles = next(s for s in policy.guide if s.id == "principles")
    assert principles.number == f"{definitions.number}A"
    assert [c.number for c in principles.clauses][:2] == [f"G{definitions.number}A.1", f"G{definitions.number}A.2"]
    # Only sections with guide clauses appear in the guide, in policy order.
    assert {"principles", "boundaries"} <= {s.id for s in policy.guide}
    assert all(s.clauses for s in policy.guide)
    guide = render_guide(policy)
    assert f"## {boundaries.number}. Protecting professional boundaries" in guide or (
        f"## {boundaries.number}. {boundaries.title}" in guide
    )
    assert f"### {moved.number} {moved.title}" in guide
    assert "Quick replies, emojis and informal language" in guide
    assert "## 1. Purpose" not in guide


def test_the_policy_points_to_the_guide_once_per_section(policy: Policy):
    pointing = next(c for c in policy.clauses if c.id == POINTING)
    moved = next(c for c in policy.guide_clauses if c.id == MOVED)
    assert pointing.guide_ref == moved.number
    text = render_policy(policy)
    assert "Why and how: practice guide" not in text  # no pointer under each clause any more
    guide_titles = {c.number: c.title for c in policy.guide_clauses}
    pointer_lines = [line for line in text.splitlines() if line.startswith("*Practice guide: ")]
    with_pointers = [s for s in policy.sections if any(c.guide_ref for c in s.clauses)]
    assert with_pointers and len(pointer_lines) == len(with_pointers)
    for section in policy.sections:
        body = text[text.index(f"\n## {section.number}. {section.title}\n") :]
        body = body[: body.index("\n### ")] if "\n### " in body else body
        lines = [line for line in body.splitlines() if line.startswith("*Practice guide: ")]
        numbers = list(dict.fromkeys(c.guide_ref for c in section.clauses if c.guide_ref))
        if not numbers:
            assert not lines  # no line for a section none of whose clauses points to the guide
            continue
        # One line, under the heading and before the first clause, naming each guide paragraph once, with its title.
        assert len(lines) == 1
        assert [n for n in re.findall(r"\bG\d+[A-Z]?\.\d+\b", lines[0])] == sorted(
            numbers, key=list(guide_titles).index
        )
        for number in numbers:
            assert f"{number} {guide_titles[number]}" in lines[0]
    boundaries = next(s for s in policy.sections if s.id == "boundaries")
    assert f"{moved.number} {moved.title}" in next(line for line in pointer_lines if moved.number in line)
    assert [r.number for r in boundaries.guide_refs].count(moved.number) == 1


def test_the_policy_ends_with_the_short_list_of_documents_and_no_item_ids(policy: Policy, guide_library: Library):
    text = render_policy(policy)
    last = re.findall(r"^## (\d+)\. (.+)$", text, re.M)[-1]
    assert last == (str(len(policy.sections) + 1), "Documents this policy rests on")
    documents = text[text.index("## " + last[0] + ". Documents") :]
    guidance = next(line for line in documents.splitlines() if line.startswith("**Guidance:** "))
    assert "*Social Media Protocol*, London Borough of Waltham Forest" in guidance
    law = next(line for line in documents.splitlines() if line.startswith("**Law:** "))
    assert "*Data Protection Act 2018 and the UK General Data Protection Regulation*" in law
    assert "Established UK public-sector practice" not in documents  # sector practice: the annex only
    assert not [item for item in guide_library.items if re.search(rf"\b{re.escape(item)}\b", text)]


def test_the_annex_lists_policy_and_guide_clauses_with_item_texts(policy: Policy, guide_library: Library):
    annex = render_annex(policy)
    pointing = next(c for c in policy.clauses if c.id == POINTING)
    moved = next(c for c in policy.guide_clauses if c.id == MOVED)
    assert f"| {pointing.number} | People staff already know | SWE-DUAL-RELATIONSHIPS, BASW-5, LBWF-5 |" in annex
    assert (
        f"| {moved.number} | Online closeness | SWE-PROXIMITY, SWE-BOUNDARIES, DCS-BOUNDARIES, CAFCASS-PCF-ETHICS |"
        in (annex)
    )
    items = annex[annex.index("## 3. Items by document") :]
    proximity = guide_library.items["SWE-PROXIMITY"].summary
    assert f"- **SWE-PROXIMITY**: {proximity}" in items
    line = next(line for line in items.splitlines() if line.startswith("- **SWE-PROXIMITY**"))
    assert line.endswith(f"(clause {moved.number})") or moved.number in line
    line = next(line for line in items.splitlines() if line.startswith("- **BASW-5**"))
    assert pointing.number in line
    assert "## 1. Documents" in annex


def test_an_item_only_the_guide_cites_is_still_in_the_annex_but_not_the_policys_list(policy: Policy):
    policy_items = {s for c in policy.clauses for s in c.sources}
    guide_only = {s for c in policy.guide_clauses for s in c.sources} - policy_items
    assert guide_only
    annexed = {item.id for cited in policy.annex_sources for item in cited.items}
    listed = {item.id for cited in policy.sources for item in cited.items}
    # Items of other nations' law are left out of both, as ever.
    assert guide_only & annexed and not guide_only & listed


def test_build_writes_six_documents_that_pass_check_docx(guide_root: Path, tmp_path: Path):
    from policy_builder.checks.docx_check import check_docx
    from policy_builder.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--library", str(guide_root), "build", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in (
        "social-media-policy.md",
        "social-media-policy.docx",
        "practice-guide.md",
        "practice-guide.docx",
        "sources-annex.md",
        "sources-annex.docx",
    ):
        path = out / f"eastbrook-council-{name}"
        assert path.exists(), name
        assert str(path) in result.output or path.name in result.output
    kinds = {"social-media-policy": "policy", "practice-guide": "practice-guide", "sources-annex": "sources-annex"}
    for stem, kind in kinds.items():
        data = (out / f"eastbrook-council-{stem}.docx").read_bytes()
        checked = check_docx(data, None, name=stem)  # the kind is read from the file's category
        assert checked.kind == kind
        assert checked.problems == [], (stem, checked.problems)
    manifest = json.loads((out / "eastbrook-council-manifest.json").read_text(encoding="utf-8"))
    assert MOVED not in [c["id"] for c in manifest["clauses"]]
    assert MOVED in [c["id"] for c in manifest["guide_clauses"]]
    pointing = next(c for c in manifest["clauses"] if c["id"] == POINTING)
    assert pointing["guide"].startswith("G")


def test_guide_docx_has_numbered_bookmarked_paragraphs_and_the_marking(policy: Policy):
    import io

    import docx

    from policy_builder.render.docx import render_guide_docx

    document = docx.Document(io.BytesIO(render_guide_docx(policy)))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[0] == ("Title", "Practice guide: Social Media and Digital Contact Policy")
    assert styles[1] == ("Subtitle", "London Borough of Eastbrook")  # as on the policy's cover
    moved = next(c for c in policy.guide_clauses if c.id == MOVED)
    assert ("Heading 2", f"{moved.number} Online closeness") in styles
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert "OFFICIAL" in header
    assert document.core_properties.category == "Practice guide"


def test_manifest_read_back_from_markdown_leaves_the_pointer_out(guide_root: Path, tmp_path: Path):
    from policy_builder.build import build_profile
    from policy_builder.regen.manifest import read_manifest

    library = load_library(guide_root)
    result = build_profile(library, EXAMPLE, tmp_path, ["md"], build_date=BUILD_DATE)
    from_md = read_manifest(result.written[0])
    from_json = json.loads((tmp_path / "eastbrook-council-manifest.json").read_text(encoding="utf-8"))
    assert [c["text"] for c in from_md["clauses"]] == [c["text"] for c in from_json["clauses"]]


def test_coverage_says_which_document_cites_each_item(guide_library: Library):
    from policy_builder.checks.coverage import coverage

    report = coverage(guide_library)
    assert report.cited_by["SWE-PROXIMITY"] == "both" or report.cited_by["SWE-PROXIMITY"] == "guide"
    assert report.cited_by["BASW-5"] == "policy"
    only_principles = {s for c in guide_library.clauses for s in c.sources if c.document == "guide"} - {
        s for c in guide_library.clauses for s in c.sources if c.document == "policy"
    }
    assert only_principles and all(report.cited_by[i] == "guide" for i in only_principles)
    assert report.as_dict()["cited_by"] == report.cited_by


def test_coverage_json_of_the_bundled_library_says_policy_or_guide():
    from policy_builder.cli import main

    result = CliRunner().invoke(main, ["coverage", "--json"])
    data = json.loads(result.output)
    assert set(data["cited_by"].values()) <= {"policy", "guide", "both"}
    assert data["cited_by"]["REG-SWE-STANDARDS"] in ("policy", "both")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("boundaries.no-such-clause", "guide: no clause has the id 'boundaries.no-such-clause'"),
        ("boundaries.personal-details", "guide: 'boundaries.personal-details' is a policy clause"),
    ],
)
def test_a_bad_guide_pointer_is_a_library_error_with_file_and_line(tmp_path: Path, target: str, message: str):
    def edit(root: Path) -> None:
        path = root / "05-boundaries.yaml"
        path.write_text(add_pointer(path.read_text(encoding="utf-8"), POINTING, target), encoding="utf-8")

    library = load_library(library_copy(tmp_path, edit))
    answers = load_profile(EXAMPLE, library.questionnaire, library.nations, build_date=BUILD_DATE)
    with pytest.raises(LibraryError, match=re.escape(message)) as caught:
        build_policy(library, answers)
    assert "05-boundaries.yaml" in str(caught.value)
    assert caught.value.line is not None


def test_a_draft_policys_guide_and_annex_say_draft(guide_library: Library, write_profile):
    import io

    import docx
    from conftest import base_profile

    from policy_builder.checks.docx_check import check_docx
    from policy_builder.render.docx import render_annex_docx

    profile = base_profile()
    profile["document"].pop("approved_by", None)
    questionnaire, nations = guide_library.questionnaire, guide_library.nations
    answers = load_profile(write_profile(profile), questionnaire, nations, build_date=BUILD_DATE)
    policy = build_policy(guide_library, answers)
    assert policy.draft.is_draft
    guide = render_guide(policy)
    assert guide.startswith("**OFFICIAL**\n\n**DRAFT: not for issue.** This guide goes with a draft policy.")
    data = render_annex_docx(policy)
    document = docx.Document(io.BytesIO(data))
    assert "DRAFT \u2013 OFFICIAL" in " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert document.paragraphs[2].text.startswith("DRAFT: not for issue.")
    assert check_docx(data, "sources-annex").problems == []
