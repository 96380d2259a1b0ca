"""The staff Do / Don't card and the leaflet for people who use services, from the same answers as the policy."""

import io
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BUILD_DATE, PROFILES, ROOT, base_profile, with_answers
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from policy_builder.checks.lint import Linter, lint_library
from policy_builder.cli import main
from policy_builder.content.library import load_library
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.docx import render_handout_docx
from policy_builder.render.summary import (
    MAX_LEAFLET_GRADE,
    leaflet,
    load_summary,
    reading_level,
    render_handout_markdown,
    staff_summary,
)

EXAMPLES = sorted(PROFILES.glob("*.yaml"))


def policy_for(library, answers_for, **answers):
    return build_policy(library, answers_for(with_answers(base_profile(), **answers)))


def example_policy(library, path: Path):
    return build_policy(library, load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE))


def bullets(handout, after_heading: str) -> list[str]:
    blocks = list(handout.blocks)
    start = blocks.index(("heading", after_heading)) + 1
    found = []
    for kind, text in blocks[start:]:
        if kind != "bullet":
            break
        found.append(text)
    return found


# --- staff summary -------------------------------------------------------------------------------


def test_every_item_points_to_its_clause_number_in_this_policy(library, answers_for):
    policy = policy_for(library, answers_for)
    numbers = {c.id: c.number for c in policy.clauses}
    card = staff_summary(library, policy)
    wording = load_summary(library.root)
    shown = bullets(card, "Do") + bullets(card, "Don't")
    assert len(shown) >= 20
    for text in shown:
        assert re.search(r" \((\d+\.\d+)\)\.$", text), text
    for heading in ("Do", "Don't"):  # in policy order
        cited = [tuple(map(int, re.search(r"\((\d+)\.(\d+)\)\.$", t).groups())) for t in bullets(card, heading)]
        assert cited == sorted(cited)
    friend = next(t for t in bullets(card, "Don't") if t.startswith("Send or accept friend or follow requests"))
    assert friend.endswith(f"({numbers['boundaries.no-personal-connections']}).")
    expected = [i for i in wording.items if i.clause in numbers and i.kind == "do"]
    assert len(bullets(card, "Do")) == len(expected)


def test_only_the_rules_of_this_stance_are_on_the_card(library, answers_for):
    keep_in_touch = staff_summary(library, policy_for(library, answers_for))
    none = staff_summary(
        library,
        policy_for(library, answers_for, messaging__whatsapp="not_allowed", surveillance__viewing="not_allowed"),
    )
    dont_keep, dont_none = bullets(keep_in_touch, "Don't"), bullets(none, "Don't")
    assert any(t.startswith("Use messages for assessments") for t in dont_keep)
    assert not any(t.startswith("Use WhatsApp or any other messaging app") for t in dont_keep)
    assert any(t.startswith("Use WhatsApp or any other messaging app") for t in dont_none)
    assert not any("by screenshot" in t for t in bullets(none, "Do"))
    assert any("by screenshot" in t for t in bullets(keep_in_touch, "Do"))
    assert any(t.startswith("Look at the social media of people who use services, their families") for t in dont_none)
    assert any("Save every text and message to Mosaic" in t for t in bullets(keep_in_touch, "Do"))


def test_help_lists_contacts_only_when_they_apply(library, answers_for):
    card = staff_summary(library, policy_for(library, answers_for))
    assert ("bullet", "Viewing people's social media: the RIPA Coordinating Officer in Legal Services.") in card.blocks
    card = staff_summary(library, policy_for(library, answers_for, surveillance__viewing="not_allowed"))
    assert not any(text.startswith("Viewing people's social media") for _, text in card.blocks)
    assert card.blocks[-1][1].startswith("This guide sums up version 1.0 of the policy, in force from 1 December 2026.")


def test_staff_summary_markdown_and_word(library, answers_for):
    card = staff_summary(library, policy_for(library, answers_for))
    text = render_handout_markdown(card)
    assert text.startswith("**OFFICIAL**\n\n# Social media and messaging: a quick guide for staff\n\n")
    assert "\n## Do\n\n- Decline friend or follow requests" in text
    assert "\n## Don't\n\n- Post about people who use services" in text
    assert "\n\n- " not in text.split("## Don't")[1].split("## Where")[0].strip()[2:]  # one list, no gaps
    document = Document(io.BytesIO(render_handout_docx(card)))
    assert [p.style.name for p in document.paragraphs[:2]] == ["Title", "Subtitle"]
    assert document.core_properties.category == "Staff summary"
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL"
    # Do and Don't items are boxes in their own styles (a real list: based on List Bullet), each box kept together.
    styles = [p.style.name for p in document.paragraphs]
    items = [text for k, text in card.blocks if k == "bullet"]
    help_items = sum(k == "bullet" for k, _ in card.blocks[[t for _, t in card.blocks].index("Where to get help") :])
    assert styles.count("Card Do") + styles.count("Card Don't") + styles.count("List Bullet") == len(items)
    assert styles.count("List Bullet") == help_items
    assert styles.count("Card Do") > 5 and styles.count("Card Don't") > 5
    do_box = [p for p in document.paragraphs if p.style.name == "Card Do"]
    assert document.styles["Card Do"].base_style.name == "List Bullet"
    assert document.styles["Card Do"].paragraph_format.keep_with_next  # the box is kept together ...
    assert do_box[-1].paragraph_format.keep_with_next is False  # ... and the page may break after it
    assert document.styles["Card Do"].paragraph_format.keep_together  # an item is never split
    shading = {
        name: document.styles[name].element.pPr.find(qn("w:shd")).get(qn("w:fill"))
        for name in ("Card Do", "Card Don't")
    }
    assert shading["Card Do"] != shading["Card Don't"]  # visibly different, besides the headings Do and Don't


# --- leaflet --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_leaflet_reads_at_a_reading_age_of_12_or_below(library, path):
    level = reading_level(leaflet(library, example_policy(library, path)))
    assert level.grade <= MAX_LEAFLET_GRADE, f"{path.name}: Flesch-Kincaid grade {level.grade:.1f}"
    assert level.reading_ease >= 70


def test_leaflet_says_what_people_need_to_know(library, answers_for):
    text = render_handout_markdown(leaflet(library, policy_for(library, answers_for)))
    assert text.startswith("# How we keep in touch with you\n\n**London Borough of Eastbrook**\n")
    for expected in (
        "- call you, text you to set up a visit, write to you or send you an email",  # channels
        "- send you short messages on WhatsApp\n",
        "- talk to you on a video call on Microsoft Teams",
        "We read messages when we are at work.",  # when messages are read
        "We check our work social media accounts Monday to Friday, 9am to 5pm.",
        "If someone is in danger right now, call 999.",  # emergencies and out of hours
        "call the Emergency Duty Team on 020 8496 0000",
        "You do not have to use an app, a video call or social media to get help from us.",
        "Your worker will not be your friend on their own social media",
        "Messages, emails, letters and notes of calls between us are part of your file",  # records
        "You can ask us for this leaflet in large print, easy read, another language",
    ):
        assert expected in text, expected
    assert "OFFICIAL" not in text  # for the public: no protective marking


def test_leaflet_follows_the_stance(library, answers_for):
    policy = policy_for(
        library,
        answers_for,
        messaging__whatsapp="not_allowed",
        out_of_hours__emergency_route=None,
        surveillance__viewing="one_off_safeguarding",
        accounts__dedicated="not_allowed",
    )
    text = render_handout_markdown(leaflet(library, policy))
    assert "We do not use WhatsApp or other message apps to talk with you." in text
    assert "short messages" not in text and "work account on social media" not in text
    assert "ask us now" not in text and "when we are closed" not in text  # no number known: the line is left out
    assert "We might look once" not in text and "unless we are very worried about someone's safety" in text
    assert "Messages, emails, letters and notes of calls between us are part of your file" in text


def test_leaflet_word_file_has_no_marking_or_page_numbers(library, answers_for):
    document = Document(io.BytesIO(render_handout_docx(leaflet(library, policy_for(library, answers_for)))))
    assert document.core_properties.title == "How we keep in touch with you"
    assert document.core_properties.category == "Leaflet"
    section = document.sections[0]
    assert not "".join(p.text for p in section.header.paragraphs).strip()
    assert [p.text for p in section.footer.paragraphs if p.text] == ["How we keep in touch with you, version 1.0"]
    assert [p.style.name for p in document.paragraphs if p.text == "In an emergency"] == ["Heading 1"]
    # Large type on short lines: body text 14pt, lines no longer than 17cm.
    assert document.styles["Normal"].font.size == Pt(14) and document.styles["List Bullet"].font.size == Pt(14)
    assert section.page_width - section.left_margin - section.right_margin <= Cm(17.01)


# --- build and CLI ------------------------------------------------------------------------------


def test_build_writes_summary_and_leaflet_and_prints_the_reading_level(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(ROOT / "profiles" / "example-council.yaml"),
            "--out",
            str(tmp_path),
            "--format",
            "summary,leaflet",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in ("staff-summary.md", "staff-summary.docx", "leaflet.md", "leaflet.docx"):
        assert (tmp_path / f"eastbrook-council-{name}").exists(), name
    assert not (tmp_path / "eastbrook-council-social-media-policy.docx").exists()
    # In words, as a manager reads it: never "Flesch" or "grade".
    assert re.search(r"The leaflet is [a-z ]+ \(a reading age of about \d+\)\.", result.output)
    assert "Flesch" not in result.output and "grade" not in result.output


# --- lint and loading ------------------------------------------------------------------------------


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    target = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", target)
    return target


def handout_problems(library_dir: Path) -> list[str]:
    """What lint says about the summary and leaflet wording (just that check, to stay quick)."""
    linter = Linter(load_library(library_dir))
    linter.check_handouts()
    return linter.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line)


def test_lint_reports_unknown_clauses_and_names_with_their_line(library_copy):
    summary = library_copy / "summary.yaml"
    edit(summary, "clause: devices.privacy-settings", "clause: devices.privacy-setting")
    edit(
        library_copy / "leaflet.yaml",
        "when: surveillance.viewing == 'with_authorisation'",
        "when: surveillance.view == 'no'",
    )
    problems = handout_problems(library_copy)
    item_line = line_of(summary, "clause: devices.privacy-setting") - 1
    assert f"summary.yaml:{item_line}: clause 'devices.privacy-setting' is not in the library" in "\n".join(problems)
    assert any("leaflet.yaml:" in p and "uses unknown name 'surveillance.view'" in p for p in problems), problems


def test_lint_catches_a_blank_answer_printed_without_a_guard(library_copy):
    edit(
        library_copy / "summary.yaml",
        '  - bullet: "Data protection and records: {{ contacts.information_governance }}."\n'
        "    when: contacts.information_governance\n",
        '  - bullet: "Data protection and records: {{ contacts.information_governance }}."\n',
    )
    problems = handout_problems(library_copy)
    assert any(
        "summary.yaml:" in p and "fails to render when contacts.information_governance=None" in p for p in problems
    )


def test_lint_catches_a_leaflet_that_is_too_hard_to_read(library_copy):
    leaflet_file = library_copy / "leaflet.yaml"
    text = leaflet_file.read_text(encoding="utf-8")
    hard = (
        "Notwithstanding organisational considerations, individuals experiencing safeguarding emergencies "
        "necessitating immediate intervention should contact emergency telephony services, irrespective of "
        "contemporaneous communication arrangements."
    )
    # Every plain paragraph becomes bureaucratic prose.
    text = re.sub(r"(  - text: )(>-\n(?:      .*\n)+|.*\n)", lambda m: m.group(1) + hard + "\n", text)
    leaflet_file.write_text(text, encoding="utf-8")
    problems = handout_problems(library_copy)
    assert any(
        "leaflet.yaml: for a sample employer the leaflet reads as" in p and "a reading age of 12" in p for p in problems
    )


def test_a_broken_summary_file_is_a_clear_error_with_its_line(library_copy, library):
    edit(
        library_copy / "summary.yaml",
        "  - kind: dont\n    clause: boundaries.personal-details",
        "  - kind: never\n    clause: boundaries.personal-details",
    )
    line = line_of(library_copy / "summary.yaml", "kind: never")
    with pytest.raises(LibraryError, match=rf"summary.yaml:{line}: kind must be do or dont"):
        load_summary(library_copy)
    problems = lint_library(load_library(library_copy), checks=["handouts"])  # lint's check of summary.yaml
    assert any(f"summary.yaml:{line}: kind must be do or dont" in p for p in problems)
