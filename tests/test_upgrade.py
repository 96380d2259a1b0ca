"""The upgrade as an information-governance officer meets it, end to end.

Start: the policy clause library 1.0.0 built for the example council, kept as a
fixture (tests/fixtures/upgrade/, made by the release's own code, see its
README), with the profile it was built from, written for questionnaire 1.0.
Then, with the library as it is now: `check` the old policy, `wizard --only-new`
the profile, `build --previous`, and `changes` with the board summary and the
Word redline, whose tracked changes are accepted and rejected here to prove
that they give exactly the new and the old policy's text. The redline is opened
in LibreOffice, as a lawyer would open it.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, ROOT, base_profile, with_answers
from lxml import etree

from policy_builder.cli import CliContext, main
from policy_builder.content.library import Library
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.regen.manifest import read_manifest
from policy_builder.render.docx import render_docx
from policy_builder.render.docx.redline import render_redline_docx
from policy_builder.render.pdf import to_pdf
from policy_builder.render.typography import smarten

FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
OLD_POLICY = FIXTURES / "eastbrook-council-social-media-policy-1.0.0.docx"
OLD_PROFILE = FIXTURES / "eastbrook-council.yaml"
SLUG = "eastbrook-council"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REVIEW = "Review your answers"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def flat(text: str) -> str:
    return " ".join(text.split())


# --- Word's "Accept All" and "Reject All", written independently of the redline writer -----------


def body(docx: bytes) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")).find(w("body"))


def resolve(docx: bytes, accept: bool) -> etree._Element:
    """The body after accepting (or rejecting) every tracked change, as Word does it:
    a revision's content goes or stays, a row marked gone goes, and a paragraph whose mark is
    gone joins the paragraph after it."""
    tree = body(docx)
    gone, kept = ("del", "ins") if accept else ("ins", "del")
    for row in list(tree.iter(w("tr"))):
        if row.find(f"{w('trPr')}/{w(gone)}") is not None:
            row.getparent().remove(row)
    for change in list(tree.iter(w("pPrChange"))):
        p_pr = change.getparent()
        p_pr.remove(change)
        if not accept:  # the old paragraph properties come back
            for child in [c for c in p_pr if c.tag not in (w("rPr"), w("sectPr"))]:
                p_pr.remove(child)
            for k, child in enumerate(change.find(w("pPr"))):
                p_pr.insert(k, child)
    marks = {p: p.find(f"{w('pPr')}/{w('rPr')}/{w(gone)}") is not None for p in tree.iter(w("p"))}
    for element in list(tree.iter(w(gone))):
        element.getparent().remove(element)
    for element in list(tree.iter(w(kept))):
        parent = element.getparent()
        at = parent.index(element)
        for child in list(element):
            parent.insert(at, child)
            at += 1
        parent.remove(element)
    for text in tree.iter(w("delText")):
        text.tag = w("t")
    for text in tree.iter(w("delInstrText")):
        text.tag = w("instrText")
    for p, mark_gone in marks.items():
        if not mark_gone:
            continue
        content = [c for c in p if c.tag != w("pPr")]
        following = p.getnext()
        if content:
            assert following is not None and following.tag == w("p"), "a paragraph mark gone before a table"
            at = 1 if following.find(w("pPr")) is not None else 0
            for child in content:
                following.insert(at, child)
                at += 1
        p.getparent().remove(p)
    return tree


def texts(tree: etree._Element) -> list[tuple[str, str]]:
    """Every paragraph's style and text, in document order (tables' cells included)."""
    out = []
    for p in tree.iter(w("p")):
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        text = "".join((n.text or "") if n.tag == w("t") else "\t" for n in p.iter(w("t"), w("tab")))
        out.append((style.get(w("val")) if style is not None else "", text))
    return out


def text_only(items: list[tuple[str, str]]) -> list[str]:
    texts = [text for _style, text in items]
    # Word never removes a body's last paragraph mark, so rejecting an inserted last paragraph leaves it empty.
    while texts and texts[-1] == "":
        texts.pop()
    return texts


def revisions(docx: bytes) -> list[etree._Element]:
    tree = body(docx)
    return [*tree.iter(w("ins")), *tree.iter(w("del")), *tree.iter(w("pPrChange"))]


def whole_paragraphs(docx: bytes, kind: str) -> list[str]:
    """The text of paragraphs inserted (kind "ins") or deleted ("del") whole, paragraph mark and all."""
    found = []
    for p in body(docx).iter(w("p")):
        if p.find(f"{w('pPr')}/{w('rPr')}/{w(kind)}") is None:
            continue
        tag = "delText" if kind == "del" else "t"
        loose = [t for t in p.iter(w("t"), w("delText")) if not _within(t, w(kind), p)]
        assert not loose, f"a paragraph {kind} whole has text outside w:{kind}"
        found.append("".join(t.text or "" for t in p.iter(w(tag))))
    return found


def _within(node: etree._Element, tag: str, stop: etree._Element) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


# --- word level, on two policies from today's library -------------------------------------------


def _policy(library: Library, write_profile, profile: dict) -> tuple[bytes, list[str]]:
    answers = load_profile(write_profile(profile), library.questionnaire, library.nations, build_date=BUILD_DATE)
    policy = build_policy(library, answers)
    return render_docx(policy), [c.title for c in policy.clauses]


def test_redline_tracks_changed_words_and_whole_clauses(library, write_profile):
    old, old_titles = _policy(library, write_profile, base_profile())
    changed = with_answers(
        base_profile(), organisation__short_name="Westbrook Council", messaging__whatsapp="not_allowed"
    )
    new, new_titles = _policy(library, write_profile, changed)
    redline = render_redline_docx(old, new, "Clause library 9.9.9", "2027-03-01T00:00:00Z")

    assert text_only(texts(resolve(redline, accept=True))) == text_only(texts(body(new)))
    assert text_only(texts(resolve(redline, accept=False))) == text_only(texts(body(old)))
    assert texts(resolve(redline, accept=True)) == texts(body(new)), "accepted, every paragraph has the new style"
    assert texts(resolve(redline, accept=False)) == texts(body(old)), "rejected, every paragraph has the old style"

    marks = revisions(redline)
    assert marks and all(m.get(w("author")) == "Clause library 9.9.9" for m in marks)
    assert all(m.get(w("date")) == "2027-03-01T00:00:00Z" for m in marks)
    ids = [m.get(w("id")) for m in marks]
    assert len(ids) == len(set(ids)), "every revision has its own id"

    # The name changes word by word: the paragraph keeps its other words as they were.
    sentence = next(
        p
        for p in body(redline).iter(w("p"))
        if any((t.text or "").startswith("Eastbrook") for t in p.iter(w("delText")))
        and any(t.text and not _within(t, w("ins"), p) for t in p.iter(w("t")))
    )
    deleted = "".join(t.text or "" for t in sentence.iter(w("delText")))
    inserted = "".join(t.text or "" for p in sentence.iter(w("ins")) for t in p.iter(w("t")))
    assert deleted.split() == ["Eastbrook"] * len(deleted.split())
    assert inserted.split() == ["Westbrook"] * len(inserted.split())

    # Clauses that come and go are whole paragraphs inserted or deleted, their headings included.
    removed = [t for t in old_titles if t not in new_titles]
    added = [t for t in new_titles if t not in old_titles]
    assert removed, "not allowing messaging apps removes their clauses"
    deleted_whole = whole_paragraphs(redline, "del")
    inserted_whole = whole_paragraphs(redline, "ins")
    for title in removed:
        assert any(title in text for text in deleted_whole), title
    for title in added:
        assert any(title in text for text in inserted_whole), title


def test_same_policy_gives_a_redline_without_changes(library, write_profile):
    docx, _ = _policy(library, write_profile, base_profile())
    redline = render_redline_docx(docx, docx, "Clause library 1.0.0", "2026-12-02T00:00:00Z")
    assert revisions(redline) == []
    assert texts(body(redline)) == texts(body(docx))


# --- the upgrade, end to end ---------------------------------------------------------------------


@dataclass
class Upgrade:
    folder: Path
    profile: Path
    old: Path
    new: Path
    check: str
    check_code: int
    wizard: str
    build: str
    changes: str
    redline: Path
    summary: Path
    check_new: str
    changes_json: str


@pytest.fixture(scope="module")
def upgrade(library, tmp_path_factory) -> Upgrade:
    folder = tmp_path_factory.mktemp("upgrade")
    profile = folder / "eastbrook-council.yaml"
    shutil.copyfile(OLD_PROFILE, profile)
    old = folder / "v1.0" / f"{SLUG}-social-media-policy.docx"
    old.parent.mkdir()
    shutil.copyfile(OLD_POLICY, old)
    runner = CliRunner()

    def run(*args: object, text: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, [str(a) for a in args], input=text, obj=CliContext(loaded=library))

    checked = run("check", old)
    # Enter at every question keeps the offered answer, then Enter saves on the review screen.
    wizard = run("wizard", "--profile", profile, "--only-new", text="\n" * 200)
    assert wizard.exit_code == 0, wizard.output
    # The officer numbers the new issue in the profile, as the README says.
    text = profile.read_text(encoding="utf-8")
    assert 'version: "1.0"' in text and "effective_date: 2026-12-01" in text
    text = text.replace('version: "1.0"', 'version: "1.1"').replace(
        "effective_date: 2026-12-01", "effective_date: 2027-01-04"
    )
    profile.write_text(text, encoding="utf-8")
    out = folder / "v1.1"
    built = run("build", profile, "--out", out, "--previous", old)
    assert built.exit_code == 0, built.output
    new = out / f"{SLUG}-social-media-policy.docx"
    redline, summary = out / "redline.docx", out / "summary-of-changes.docx"
    changed = run("changes", old, new, "--redline", redline, "--output", summary)
    assert changed.exit_code == 0, changed.output
    return Upgrade(
        folder=folder,
        profile=profile,
        old=old,
        new=new,
        check=checked.output,
        check_code=checked.exit_code,
        wizard=wizard.output,
        build=built.output,
        changes=changed.output,
        redline=redline,
        summary=summary,
        check_new=run("check", new).output,
        changes_json=run("changes", old, new, "--json").output,
    )


def listed_questions(check_output: str, library: Library) -> set[str]:
    """The question ids `check` lists under "New questions"."""
    part = check_output.split("New questions since this policy was built", 1)
    if len(part) == 1:
        return set()
    lines = part[1].splitlines()[1:]
    found = set()
    for line in lines:
        match = re.match(r"  (\S+): ", line)
        if not match or match.group(1) not in library.questionnaire.questions:
            break
        found.add(match.group(1))
    return found


def asked_questions(wizard_output: str, library: Library) -> set[str]:
    """The questions the wizard put before its review screen, found by their prompts."""
    asked = flat(wizard_output.split(REVIEW)[0])
    return {qid for qid, q in library.questionnaire.questions.items() if flat(q.prompt) in asked}


def test_the_fixture_is_a_policy_from_library_1_0_0():
    manifest = read_manifest(OLD_POLICY)
    assert manifest["library"] == {"version": "1.0.0", "questionnaire_version": "1.0"}
    assert manifest["organisation"] == "London Borough of Eastbrook"


def test_check_says_the_old_policy_is_due_with_the_clauses_and_questions_that_changed(upgrade, library):
    assert upgrade.check_code == 1, upgrade.check
    assert f"Built from clause library 1.0.0; the current library is {library.version}." in upgrade.check
    assert "Clauses that would change if the policy were rebuilt now:" in upgrade.check
    # What check foresees is what the rebuild then changed, clause by clause.
    foreseen = set(
        re.findall(r"^  ([~+-] \S+ .+?) \((?:new|removed|version \d+ -> \d+|reworded)\)$", upgrade.check, re.M)
    )
    happened = {
        line.strip()
        for line in upgrade.changes.splitlines()
        if re.match(r"  [~+-] \S+ ", line) and not line.startswith("      ")
    }
    assert foreseen == {re.sub(r" \(local\)$", "", line) for line in happened}
    assert "surveillance.powers" in listed_questions(upgrade.check, library), "added in questionnaire 1.1"


def test_wizard_only_new_asks_exactly_the_new_questions_check_listed(upgrade, library):
    listed = listed_questions(upgrade.check, library)
    assert asked_questions(upgrade.wizard, library) == listed
    assert "(new question)" in flat(upgrade.wizard)
    saved = load_profile(upgrade.profile, library.questionnaire, library.nations)
    assert saved.new_questions == [], "the profile now answers every question of today's questionnaire"
    assert saved["surveillance.powers"] == "directed_and_chis", "a council's default, kept with Enter"
    # The officer's own answers are untouched.
    assert saved["organisation.name"] == "London Borough of Eastbrook"
    assert saved["messaging.record_system"] == "Mosaic"


def test_build_previous_adds_the_version_history(upgrade, library):
    manifest = read_manifest(upgrade.new)
    assert manifest["library"]["version"] == library.version
    assert manifest["document"]["version"] == "1.1"
    history = manifest["history"]
    assert [(h["version"], h["date"]) for h in history] == [("1.0", "2026-12-01"), ("1.1", "2027-01-04")]
    assert history[0]["summary"] == "Issued."
    assert re.search(r"\d+ clauses reworded; \d+ answers changed", history[1]["summary"]), history[1]
    policy = text_only(texts(body(upgrade.new.read_bytes())))
    assert "Version history" in policy
    assert "Changes since version 1.0:" in policy
    # In words, as readers see it: the question's prompt and the chosen label, never its id or raw value.
    assert (
        "Answered the new question \u201cWhich covert surveillance may your organisation authorise in law?\u201d: "
        "\u201cDirected surveillance and covert human intelligence sources\u201d." in policy
    )
    assert not any("surveillance.powers" in line or "directed_and_chis" in line for line in policy)
    # Rebuilt from today's library with every question answered, the new policy is not due for rebuilding.
    assert "Clauses that would change" not in upgrade.check_new
    assert "New questions" not in upgrade.check_new


def test_changes_writes_the_board_summary_and_the_redline(upgrade, library):
    assert "Summary of changes written to" in upgrade.changes
    assert "Tracked changes (redline) written to" in upgrade.changes
    assert "answer surveillance.powers: (new question) -> directed_and_chis" in upgrade.changes
    report = json.loads(upgrade.changes_json)
    answered = {a["question"]: a for a in report["answers_changed"]}
    assert answered["surveillance.powers"]["new_question"] is True
    assert answered["document.version"] == {
        "question": "document.version",
        "old": "1.0",
        "new": "1.1",
        "new_question": False,
    }
    summary = texts(body(upgrade.summary.read_bytes()))
    assert any("Summary of changes" in text for _style, text in summary)
    redline = upgrade.redline.read_bytes()
    marks = revisions(redline)
    author = f"Clause library {library.version}"
    built = read_manifest(upgrade.new)["built"]
    assert marks and {m.get(w("author")) for m in marks} == {author}
    assert {m.get(w("date")) for m in marks} == {f"{built}T00:00:00Z"}
    names = zipfile.ZipFile(io.BytesIO(redline)).namelist()
    assert "customXml/policy-builder-manifest.xml" not in names, "a redline must not pass for an issued policy"
    settings = etree.fromstring(zipfile.ZipFile(io.BytesIO(redline)).read("word/settings.xml"))
    assert settings.find(w("trackRevisions")) is not None, "a reviewer's own edits are tracked too"


def test_accepting_all_gives_the_new_policy_and_rejecting_all_the_old(upgrade):
    redline = upgrade.redline.read_bytes()
    new, old = upgrade.new.read_bytes(), upgrade.old.read_bytes()
    assert text_only(texts(resolve(redline, accept=True))) == text_only(texts(body(new)))
    assert text_only(texts(resolve(redline, accept=False))) == text_only(texts(body(old)))


def test_clauses_that_came_and_went_are_whole_paragraphs(upgrade):
    manifest_old, manifest_new = read_manifest(upgrade.old), read_manifest(upgrade.new)
    old_ids = {c["id"] for c in manifest_old["clauses"]}
    new_ids = {c["id"] for c in manifest_new["clauses"]}
    redline = upgrade.redline.read_bytes()
    deleted, inserted = whole_paragraphs(redline, "del"), whole_paragraphs(redline, "ins")
    for clause in manifest_old["clauses"]:
        if clause["id"] not in new_ids:
            heading = f"{clause['number']} {clause['title']}"  # the 1.0.0 policy has straight quotes
            assert heading in deleted, heading
    for clause in manifest_new["clauses"]:
        if clause["id"] not in old_ids:
            heading = smarten(f"{clause['number']} {clause['title']}")  # Word has curly quotes
            assert heading in inserted, heading


TOOLS = ("soffice", "pdftotext", "pdftoppm")


def test_the_redline_opens_in_libreoffice_with_its_changes_shown(upgrade):
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must open the redline in LibreOffice, but {reason}; .ci/run installs them")
        pytest.skip(f"{reason}; CI runs this test")
    folder = upgrade.folder / "pdf"
    folder.mkdir(exist_ok=True)
    pdf = folder / "redline.pdf"
    pdf.write_bytes(to_pdf({"redline": upgrade.redline.read_bytes()})["redline"])  # the build's own converter
    text = flat(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    manifest_old, manifest_new = read_manifest(upgrade.old), read_manifest(upgrade.new)
    new_ids = {c["id"] for c in manifest_new["clauses"]}
    old_ids = {c["id"] for c in manifest_old["clauses"]}
    gone = [c["title"] for c in manifest_old["clauses"] if c["id"] not in new_ids]
    came = [c["title"] for c in manifest_new["clauses"] if c["id"] not in old_ids]
    assert gone and came
    # LibreOffice shows tracked changes: deleted words are printed (struck through) beside inserted ones.
    assert all(flat(title) in text for title in gone), "deleted clauses are shown"
    assert all(flat(smarten(title)) in text for title in came), "inserted clauses are shown"  # Word has curly quotes
    # A page as an image, for a person to look at (kept beside the PDF).
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "5", "-l", "5", str(pdf), str(folder / "page")], check=True)
    assert list(folder.glob("page*.png"))


def test_a_redline_needs_word_files_and_says_so_in_one_line(upgrade, library):
    markdown = upgrade.new.with_suffix(".md")
    assert markdown.exists()
    runner = CliRunner()
    target = upgrade.folder / "not-written.docx"
    result = runner.invoke(
        main, ["changes", str(upgrade.old), str(markdown), "--redline", str(target)], obj=CliContext(loaded=library)
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: --redline: {markdown} is not a .docx; the redline is made from the two policies' Word files "
        "(OLD and NEW as .docx)"
    ]
    assert not target.exists()
    pdf = upgrade.folder / "redline.pdf"
    result = runner.invoke(
        main, ["changes", str(upgrade.old), str(upgrade.new), "--redline", str(pdf)], obj=CliContext(loaded=library)
    )
    assert result.exit_code == 2
    assert "must end in .docx" in result.output and not pdf.exists()
