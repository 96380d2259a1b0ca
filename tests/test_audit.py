"""policy-builder audit (issue 19): reading an employer's policy, judging it, and the report it writes.

The accuracy floors are measured on the labelled set under tests/audit/ (benchmarks/audit_accuracy.py
prints the figures per document).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import docx
import pytest
import yaml
from conftest import PROFILES, ROOT, copy_library, one_error, run
from pypdf import PdfWriter

from policy_builder.audit import DocumentError, audit_document, read_passages
from policy_builder.audit.match import load_audit_config
from policy_builder.content.library import Library, load_library
from policy_builder.core.errors import LibraryError

DOCUMENTS = ROOT / "tests" / "audit" / "documents"
WALTHAM_FOREST = DOCUMENTS / "waltham-forest.txt"


def _benchmark():
    spec = importlib.util.spec_from_file_location("audit_accuracy", ROOT / "benchmarks" / "audit_accuracy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- accuracy on the labelled set -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accuracy(library: Library) -> dict:
    return _benchmark().evaluate(library=library)


def test_the_labelled_set_is_big_enough_to_measure(accuracy: dict) -> None:
    assert len(accuracy["documents"]) >= 8
    overall = accuracy["overall"]
    assert overall["covers"]["labelled"] >= 240 and overall["contradicts"]["labelled"] >= 20


def test_covers_and_contradicts_meet_the_floors(accuracy: dict) -> None:
    """Issue 19 asks precision >= 0.9 and recall >= 0.8 for both. On this set: covers 0.96 / 0.86,
    contradicts 1.00 / 0.85 (22 of 26; the rest hang on a welfare check or an exception the audit does
    not read)."""
    overall = accuracy["overall"]
    assert overall["covers"]["precision"] >= 0.9, overall["covers"]
    assert overall["covers"]["recall"] >= 0.8, overall["covers"]
    assert overall["contradicts"]["precision"] >= 0.9, overall["contradicts"]
    assert overall["contradicts"]["recall"] >= 0.8, overall["contradicts"]


def test_the_second_held_out_pair_meets_the_floors(library: Library) -> None:
    """tests/audit/holdout2: two documents written and labelled before the matcher was changed for them
    (before: covers 0.92 / 0.71, contradicts 0.50 / 0.29). The general rules found on them are in; this
    keeps them from slipping back. No longer unseen, so it flatters the matcher as the first set does."""
    result = _benchmark().evaluate(ROOT / "tests" / "audit" / "holdout2" / "labels", library=library)
    assert len(result["documents"]) == 2
    overall = result["overall"]
    for verdict in ("covers", "contradicts"):
        assert overall[verdict]["precision"] >= 0.9, (verdict, overall[verdict])
        assert overall[verdict]["recall"] >= 0.8, (verdict, overall[verdict])
    assert result["clear_contradicts"]["precision"] >= 0.95, result["clear_contradicts"]


def test_the_contradictions_named_to_a_board_are_right(accuracy: dict) -> None:
    """Only "clear" contradictions are named in the board and terminal summaries; "contradicts" recall above
    counts both classes (clear and to check). On this set the clear ones are 22 of 22 right."""
    clear = accuracy["clear_contradicts"]
    assert clear["predicted"] >= 15, clear
    assert clear["precision"] >= 0.95, clear


# --- reading documents ----------------------------------------------------------------------------------------


def test_markdown_keeps_headings_numbering_lists_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text(
        "# Our policy\n\n## 4.2 Messaging apps\n\nStaff **must not** use WhatsApp on [personal phones](x).\n\n"
        "- Never accept friend requests from service users.\n\n| Tool | Allowed |\n|---|---|\n| Signal | No |\n",
        encoding="utf-8",
    )
    passages = read_passages(path)
    assert [p.text for p in passages] == [
        "Staff must not use WhatsApp on personal phones.",
        "Never accept friend requests from service users.",
        "Tool | Allowed",
        "Signal | No",
    ]
    assert passages[1].heading == "4.2 Messaging apps"
    assert passages[1].where == "section 4.2, paragraph 1, item 1"  # a list item, counted as a reader counts it
    assert [p.index for p in passages] == [0, 1, 2, 3]


def test_word_headings_lists_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Keeping in touch", level=1)
    document.add_paragraph("You may use WhatsApp on a work phone to arrange visits.")
    document.add_paragraph("Do not add families to group chats.", style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Signal"
    table.rows[0].cells[1].text = "Not approved"
    path = tmp_path / "policy.docx"
    document.save(path)
    passages = read_passages(path)
    assert [(p.heading, p.text) for p in passages] == [
        ("Keeping in touch", "You may use WhatsApp on a work phone to arrange visits."),
        ("Keeping in touch", "Do not add families to group chats."),
        ("Keeping in touch", "Signal | Not approved"),
    ]
    assert passages[1].where == "'Keeping in touch', paragraph 1, item 1"


def test_text_numbered_and_capital_headings(tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text(
        "SOCIAL MEDIA POLICY\n\n4.2 Messaging\n\nStaff must use a work phone\nfor every message.\n\n"
        "- Never use your own phone.\n- Save messages to the record.\n",
        encoding="utf-8",
    )
    passages = read_passages(path)
    assert [p.text for p in passages] == [
        "Staff must use a work phone for every message.",
        "Never use your own phone.",
        "Save messages to the record.",
    ]
    assert {p.heading for p in passages} == {"4.2 Messaging"}
    assert passages[2].where == "section 4.2, paragraph 1, item 2"


def test_a_text_pdf_is_read(library: Library) -> None:
    passages = read_passages(DOCUMENTS / "procedures-chapter.pdf")
    assert len(passages) > 20
    assert any(p.heading for p in passages)


def test_a_scanned_pdf_is_one_line(tmp_path: Path, library: Library) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    line = one_error(run("audit", path, library=library))
    assert line.endswith("scan.pdf: has no text layer (a scanned document?); export it as text or Word first"), line


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("policy.rtf", b"{\\rtf1 hello}", "cannot audit a .rtf file; give a Word (.docx), Markdown (.md), text"),
        ("policy.docx", b"not a zip", "is not a Word document"),
        ("policy.txt", b"\xff\xfe\x00\x00\x81\x8d\x8f\x90\x9d", "is not text"),
        ("missing.md", None, "file not found"),
        ("empty.md", b"\n\n", "holds no text to audit"),
    ],
)
def test_bad_files_are_one_line(
    tmp_path: Path, library: Library, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    line = one_error(run("audit", path, library=library))
    assert name in line and expected in line, line


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: no 21 MB written
    line = one_error(run("audit", path, library=library))
    assert "huge.txt: is 21.0 MB; a policy to audit is at most 20.0 MB" in line, line


# --- what the audit finds -------------------------------------------------------------------------------------


def test_waltham_forest_stance_is_covered_with_its_own_words(library: Library) -> None:
    audit = audit_document(WALTHAM_FOREST, library)
    whatsapp = audit.finding("messaging.app")
    assert whatsapp.verdict == "covers"
    assert "'keep in touch' conversations" in whatsapp.evidence.sentence
    screenshots = audit.finding("records.message-screenshot")
    assert screenshots.verdict == "covers" and "'screen shot'" in screenshots.evidence.sentence
    accounts = audit.finding("accounts.create-work-account")
    assert accounts.verdict == "covers"
    assert "professional profile in agreement with your manager" in accounts.evidence.sentence
    ripa = audit.finding("viewing.authorised")
    assert ripa.verdict == "covers"
    assert any("RIPA" in e.sentence for e in (ripa.evidence, *ripa.also))
    personal = audit.finding("accounts.personal-account-for-work")
    assert personal.verdict == "covers" and "not permitted to use their personal social media accounts" in (
        personal.evidence.sentence
    )
    # The protocol says nothing of video calls or AI tools: missed, with our rule in words.
    assert audit.finding("video.record-call").verdict == "misses"
    assert audit.finding("video.record-call").requirement.startswith("Staff must not record a video call")


def test_a_planted_contradiction_is_reported_with_its_section(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "ours.md"
    path.write_text(
        "# Social media policy\n\n## 4. Boundaries\n\n4.1 Be professional online at all times.\n\n"
        "4.2 Staff may accept friend requests from the parents of children they support, where it helps.\n\n"
        "## 5. Messaging\n\nNever use your own phone to message a family.\n",
        encoding="utf-8",
    )
    result = run("audit", path, library=library)
    assert result.exit_code == 0, result.output
    assert "Contradicts:" in result.output
    contradiction = result.output.split("Contradicts:")[1]
    assert '[high] section 4.2: "4.2 Staff may accept friend requests from the parents' in contradiction
    assert "Our rule: Staff must not send or accept a friend, follow or contact request" in contradiction
    audit = audit_document(path, library)
    assert audit.finding("messaging.personal-phone").verdict == "covers"
    assert audit.finding("contact.friend-request-service-user").severity == "high"


def test_a_profile_judges_against_that_employers_stance(tmp_path: Path, library: Library) -> None:
    """The example council allows WhatsApp to keep in touch: a document that forbids every messaging app
    contradicts its stance; without a profile either way is a rule the library offers, so it covers."""
    path = tmp_path / "ours.md"
    path.write_text("# Messaging\n\nStaff must not use WhatsApp or any other messaging app with families.\n")
    assert audit_document(path, library).finding("messaging.app").verdict == "covers"
    profile = PROFILES / "example-council.yaml"
    assert yaml.safe_load(profile.read_text(encoding="utf-8"))["messaging"]["whatsapp"] == "keep_in_touch"
    judged = audit_document(path, library, profile)
    assert judged.finding("messaging.app").verdict == "contradicts"
    assert judged.finding("messaging.app").position == "allow"


def test_json_shape(library: Library) -> None:
    result = run("audit", DOCUMENTS / "charity-code.md", "--json", library=library)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "document",
        "profile",
        "passages",
        "words",
        "counts",
        "scope",
        "review_date",
        "findings",
        "items",
    }
    assert data["scope"] == {
        "nation": "wales",
        "employer_type": None,
        "from": "document",
        "evidence": {"nation": "Social Care Wales"},
    }
    assert data["counts"]["covers"] + data["counts"]["contradicts"] + data["counts"]["misses"] == len(data["findings"])
    covered = next(f for f in data["findings"] if f["verdict"] == "covers")
    assert set(covered) >= {"action", "verdict", "position", "requirement", "severity", "clauses", "sources"}
    assert set(covered["evidence"]) >= {"quote", "where", "heading", "modality", "cue", "matched"}
    assert covered["severity"] is None
    missed = next(f for f in data["findings"] if f["verdict"] == "misses")
    assert missed["evidence"] is None and missed["severity"] in ("high", "medium", "low")
    assert {i["verdict"] for i in data["items"]} <= {"covers", "contradicts", "misses"}


def test_reports_name_no_ids(tmp_path: Path, library: Library) -> None:
    markdown, word = tmp_path / "report.md", tmp_path / "report.docx"
    for output in (markdown, word):
        result = run("audit", DOCUMENTS / "planted-contradictions.md", "--output", output, library=library)
        assert result.exit_code == 0, result.output
        assert f"Audit report written to {output}" in result.output
    text = markdown.read_text(encoding="utf-8")
    word_text = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
    ids = set(library.actions) | {c.id for c in library.clauses} | set(library.items)
    for body in (text, word_text):
        assert "Summary for the board" in body and "What it misses" in body
        leaked = sorted(i for i in ids if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", body))
        assert not leaked, leaked
    # Findings sit under the document's own sections; what is missing under ours, with the guidance by title.
    assert "### 3. Friends and connections" in text
    assert "**Contradicts (high):**" in text
    # the guidance behind a contradiction by its number in the list at the end, where its title is
    assert re.search(r"\*\*Contradicts \(high\):\*\* [^\n]+? \[\d+(?:, \d+)*\]", text)
    assert "| Social Media Protocol |" in text


def test_output_must_be_markdown_or_word(tmp_path: Path, library: Library) -> None:
    line = one_error(run("audit", WALTHAM_FOREST, "--output", tmp_path / "report.pdf", library=library))
    assert "report.pdf must end in .md or .docx" in line


# --- the data people maintain ---------------------------------------------------------------------------------


def test_audit_yaml_names_only_actions_that_exist(tmp_path: Path) -> None:
    root = copy_library(tmp_path / "clauses", "08-messaging.yaml")
    path = root / "audit.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  messaging.app:\n", "  messaging.appp:\n"))
    with pytest.raises(LibraryError) as caught:
        load_audit_config(load_library(root))
    assert re.search(r"audit\.yaml:\d+: actions: unknown action 'messaging\.appp'", str(caught.value))


def test_audit_yaml_says_which_word_is_not_text(tmp_path: Path) -> None:
    root = copy_library(tmp_path / "clauses", "08-messaging.yaml")
    path = root / "audit.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"999"', "999"))
    with pytest.raises(LibraryError) as caught:
        load_audit_config(load_library(root))
    assert "terms: every word must be text (quote on, off, yes, no and numbers)" in str(caught.value)


def test_document_error_is_a_policy_builder_error() -> None:
    from policy_builder.core.errors import PolicyBuilderError

    assert issubclass(DocumentError, PolicyBuilderError)


def test_a_forty_page_policy_audits_in_under_five_seconds(library: Library) -> None:
    """CPU time, not wall time: on a shared machine the wall clock counts the other processes too
    (the benchmark prints both: about 0.8 s CPU for 18,000 words warm, 1.5 s for a first audit). Measured
    without the warm-up run: the first audit, compiling included, is the one a person waits for."""
    result = _benchmark().speed(runs=1, library=library, warm_up=False)
    assert result["words"] >= 18000
    assert result["median_cpu_seconds"] < 5.0, result


# --- the fresh-eyes review's matching errors (coord/audit-review.md), in other words than the held-out policies --


def _verdicts(tmp_path: Path, library: Library, text: str) -> dict[str, tuple[str, str | None]]:
    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")
    return {
        f.action: (f.verdict, f.evidence.sentence if f.evidence else None)
        for f in audit_document(path, library).findings
    }


def test_shared_words_without_the_matter_do_not_cover(tmp_path: Path, library: Library) -> None:
    found = _verdicts(
        tmp_path,
        library,
        "# Working practice\n\n"
        "Use the tablet to read care plans and to check your rota.\n\n"
        "Turn off disappearing messages in every chat.\n\n"
        "Texts must be copied into the case file by screenshot every week.\n\n"
        "The coordinators run a WhatsApp group so that support workers can swap shifts.\n\n"
        "If a client needs to get in touch in the evening, they should phone the duty line.\n\n"
        "Never remove a message before it is saved to the file.\n\n"
        "Speak to the legal team about authorisation under our RIPA procedure.\n\n"
        "You must record the phone call on Mosaic the same day.\n",
    )
    for action in (
        "safeguarding.online-contact-plan",  # "care plans" + a phone is not a placed child's contact plan
        "wellbeing.digital-free-time",  # switching off an app setting is not free time
        "posting.assume-public",  # a screenshot to the record is not "posts are public"
        "messaging.app",  # a staff-only shift group says nothing on messaging clients
        "messaging.group-chat",
        "out-of-hours.contact",  # clients ringing the duty line, not staff contacting them
        "records.keep-device-copies",  # deleting before saving is the opposite matter
        "viewing.involve-best-placed",  # asking about authorisation is not examining material
        "video.record-call",  # "record the call on Mosaic" is a case note
    ):
        assert found[action][0] == "misses", (action, found[action])


def test_rules_in_plain_words_are_found(tmp_path: Path, library: Library) -> None:
    found = _verdicts(
        tmp_path,
        library,
        "# Contact with the people we support\n\n"
        "Do not give clients or their relatives your own phone number.\n\n"
        "Staff must not take photographs of clients.\n\n"
        "Assume you may be filmed in any client's home.\n\n"
        "Keep your work phone locked with a passcode at all times.\n\n"
        "Use your Trust mobile for all messages with patients.\n\n"
        "You should not contact families outside your working hours.\n\n"
        "Do not look at the social media of people you work with unless your manager agrees, and then only once.\n\n"
        "Check and correct every draft the note-taking tool writes before you save it.\n\n"
        "Family support workers may, with their manager's written approval, have a dedicated work Facebook "
        "account to keep in touch with young people.\n",
    )
    for action in (
        "contact.personal-details",
        "photos.personal-device",  # no photographs at all: none on a personal phone either
        "safety.act-as-if-recorded",
        "devices.lock",
        "devices.share-passcode",  # kept locked is never left unlocked
        "messaging.work-device-only",
        "out-of-hours.routine-contact",
        "viewing.any",
        "viewing.single-look",
        "viewing.curiosity",  # any look forbidden but for a stated reason
        "records.ai-draft-review",
        "accounts.create-work-account",
    ):
        assert found[action][0] == "covers", (action, found[action])


def test_texting_forbidden_is_a_choice_and_posting_about_work_allowed_is_a_choice(
    tmp_path: Path, library: Library
) -> None:
    found = _verdicts(
        tmp_path,
        library,
        "# Social media\n\n"
        "Support workers should not text clients directly.\n\n"
        "If you post about your job with us, remember that people will see it. "
        "Do not post anything offensive about clients or colleagues.\n",
    )
    # the library only permits texting ("may"): a document that forbids it is stricter, its own choice, which
    # is neither a contradiction nor a miss
    assert found["messaging.sms"][0] == "covers"
    assert (
        audit_document(tmp_path / "policy.md", library)
        .finding("messaging.sms")
        .requirement.startswith("Your policy does not let staff send text messages")
    )
    # forbidding only offensive posts leaves posting about work allowed; the library forbids it only where the
    # employer says staff may not post about their work, so without a profile it is the document's choice
    assert found["posting.about-work"] == (
        "covers",
        "If you post about your job with us, remember that people will see it.",
    )
    assert (
        audit_document(tmp_path / "policy.md", library)
        .finding("posting.about-work")
        .requirement.startswith("Your policy lets staff post about the employer, their own work")
    )
