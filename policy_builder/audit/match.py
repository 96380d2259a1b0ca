"""Find what an employer's policy says about each action of the library, and judge it against our rules.

Lexical, local and explainable: passages are ranked with BM25 against each action's description and
phrasings (clauses/audit.yaml); a sentence addresses an action only when it holds a word of each of
the action's term groups; what it says (forbids, requires, allows) is read from the modal words
nearest before the action's words, in the same part of the sentence, so "you may use Teams but must
not record calls" allows the one and forbids the other. Every finding keeps the sentence, where it is
and the words that matched, so a reader can check it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_builder.audit.read import Passage, iter_sentences
from policy_builder.content.library import Library
from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError

VERDICTS = ("covers", "contradicts", "misses")
MODALITIES = ("forbids", "requires", "allows")
POSITIONS = ("forbid", "allow", "depends")


# --- the data people maintain: clauses/audit.yaml --------------------------------------------------------------


@dataclass(frozen=True)
class ActionTerms:
    action: str
    groups: tuple[tuple[re.Pattern[str], ...], ...]  # every group must match; the first in the sentence
    phrasings: tuple[str, ...] = ()
    inverts: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()  # words that make a sentence about a more specific action
    # words that, where they take in the action's first word, make that place about something else
    # ("record the call on the system" is a case note): the rest of the sentence is still read
    unless_at: tuple[re.Pattern[str], ...] = ()
    # words that make a sentence allowing the action take a position no stance offers ("free AI tools")
    against: tuple[re.Pattern[str], ...] = ()
    # words that, in a sentence allowing the action, keep it within the rule ("during breaks" for social
    # media at work): the sentence agrees with the rule, as "only ... may" does
    limits: tuple[re.Pattern[str], ...] = ()
    # the action's key concept (what it rules on: "view", "privacy settings"): a sentence that does not say one
    # of these words does not address the action, whatever its heading or topic words ("social media") say
    object: tuple[re.Pattern[str], ...] = ()
    # words that, said anywhere in the document ("routine messages do not need to be recorded"), are read as
    # context of every sentence about the action, as its heading is: what the document says once holds throughout
    elsewhere: tuple[re.Pattern[str], ...] = ()
    # other words for the act the rule governs, beside its description's verbs and its phrasings' first words
    # ("befriend" for accepting a friend request): a contradiction is clear only where the sentence says the act
    acts: tuple[re.Pattern[str], ...] = ()
    position: str | None = None  # "depends" where the rules alone say forbid or allow but stances differ
    # Text every match of the first group contains (each term's first word, lower case): found with a
    # plain substring search, far faster than the pattern; None when a term is a pattern ("re:").
    prefixes: tuple[str, ...] | None = None


def _words(words: Sequence[str]) -> str:
    return "|".join(words)


def hedge_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Words that make a following "may" or "can" a possibility ("as if it may be recorded"): at most two
    words before it."""
    return re.compile(rf"\b(?:{_words(words)})(?:\s+\S+){{0,2}}\s*$", re.I)


def restriction_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """A word that restricts a permission to some ("only authorised staff may"), anywhere before the modal."""
    return re.compile(rf"\b(?:{_words(words)})\b(?:\s+\S+){{0,6}}\s*$|\b(?:{_words(words)})\b", re.I)


def opening_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """An opening condition up to its comma: "If ...,", "Where ...,"."""
    return re.compile(rf"^(?:{_words(words)})\b[^,]{{0,160}},\s*", re.I)


def absence_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """A word that says something is missing ("has not been issued", "hasn't"): "n't" is found inside a word."""
    return re.compile(rf"(?:\b|(?<=\w)(?=n't))(?:{_words(words)})\b", re.I)


def softener_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Words before an instruction that do not change it ("Just ignore it", "Please tell your manager")."""
    return re.compile(rf"^(?:(?:{_words(words)})\s+)+", re.I)


@dataclass(frozen=True)
class Grammar:
    """How a sentence is read, apart from its modal words: where its parts break, which words hedge a "may",
    restrict a permission, open a condition, say something is missing, or soften an instruction. From
    clauses/audit.yaml's grammar:; these defaults are what it held when the patterns moved there."""

    part_break: re.Pattern[str] = re.compile(
        r";\s|\s[–—-]\s|,?\s(?:but|however|whereas|although|though|unless|except|instead)\b"
        r"|,\s(?:and|or|so|as|because|since)\s",
        re.I,
    )
    hedge: re.Pattern[str] = hedge_pattern(["as if", "as though", "whether", "in case", "if", "when"])
    only: re.Pattern[str] = restriction_pattern(["only"])
    opening: re.Pattern[str] = opening_pattern(
        ["if", "when", "where", "whenever", "once", "before", "after", "as soon as", "while", "should"]
    )
    absent: re.Pattern[str] = absence_pattern(["not", "no", "without", "never", "yet to", "lacks?", "n't"])
    softener: re.Pattern[str] = softener_pattern(["just", "simply", "please", "always", "also", "then"])


GRAMMAR_KEYS = {
    "part_breaks": "part_break",
    "hedges": "hedge",
    "restrictions": "only",
    "opening_conditions": "opening",
    "absences": "absent",
    "softeners": "softener",
}
_GRAMMAR_BUILDERS = {
    "hedges": hedge_pattern,
    "restrictions": restriction_pattern,
    "opening_conditions": opening_pattern,
    "absences": absence_pattern,
    "softeners": softener_pattern,
}


@dataclass(frozen=True)
class AuditConfig:
    path: Path
    forbids: tuple[re.Pattern[str], ...]
    requires: tuple[re.Pattern[str], ...]
    allows: tuple[re.Pattern[str], ...]
    inverts: tuple[re.Pattern[str], ...]
    imperative: frozenset[str]
    forbid_headings: tuple[re.Pattern[str], ...]
    require_headings: tuple[re.Pattern[str], ...]
    states: tuple[re.Pattern[str], ...] = ()
    descriptive: tuple[re.Pattern[str], ...] = ()
    # Words that make a condition ("before", "only with"), waive a duty ("is not necessary") and name a
    # consent ("permission", "authorisation"): each one pattern, from modality.conditions/waives/consent.
    conditions: re.Pattern[str] = re.compile(r"(?!x)x")
    waives: re.Pattern[str] = re.compile(r"(?!x)x")
    consent: re.Pattern[str] = re.compile(r"(?!x)x")
    # Who a permission may be given to that is not staff ("Parents may ...", "Families who want to can ..."):
    # such a permission is someone else's, which rules on nothing staff do. One pattern, from modality.other_subjects.
    other_subjects: re.Pattern[str] = re.compile(r"(?!x)x")
    # Forbidding words that only compare ("rather than"): a rule only in a sentence that instructs.
    comparisons: re.Pattern[str] = re.compile(r"(?!x)x")
    # A table column's heading that says how to read its cells: (modality, pattern matched whole), in order
    columns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # The words before a document's next review date ("Next review", "To be reviewed in"), one pattern
    review_date: re.Pattern[str] = re.compile(r"(?!x)x")
    grammar: Grammar = field(default_factory=Grammar)
    actions: dict[str, ActionTerms] = field(default_factory=dict)
    # scope: "nation" / "employer_type" / "nation_from_name" -> value -> one pattern (matched with case)
    scope: dict[str, dict[str, re.Pattern[str]]] = field(default_factory=dict)
    # scope.names: employer type -> nation -> what such an employer is called there ("HSC trust" in Northern Ireland)
    scope_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # scope.self_description: the words right before an employer type's signal that make it the document's own
    # description ("X is a voluntary adoption agency", "We are an NHS trust"), matched at the signal's start
    self_description: re.Pattern[str] = re.compile(r"(?!x)x")
    # The modals found in each sentence part read: one sentence is read for many actions.
    cache: dict[str, list[tuple[int, int, str, str]]] = field(default_factory=dict, repr=False, compare=False)


def column_modality(config: AuditConfig, heading: str) -> str | None:
    """How a table column headed ``heading`` ("Don't", "Never", "Do") rules on its cells, if it says."""
    text = heading.strip().strip("*_:.!\"' ").strip()
    # forbidding first: "Do not" is never read as "Do"
    return next((kind for kind, pattern in config.columns if pattern.fullmatch(text)), None)


def _joined(patterns: Sequence[re.Pattern[str]], path: Path, line: int | None) -> re.Pattern[str]:
    """One pattern for a list of them (each already checked alone), case ignored, on word boundaries."""
    return _pattern("(?:" + "|".join(p.pattern for p in patterns) + ")", path, line, "modality")


def _scope_pattern(text: str, path: Path, line: int | None, where: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise LibraryError(path, line, f"{where}: '{text}' is not a valid pattern ({exc})") from None


# Every pattern this process compiled for an audit config, by its text: a second config (another library
# object, or a copy with one file changed) compiles only what is new. re's own cache holds 512 patterns, fewer
# than one config's, so it kept none of them (compiling them was most of an audit's start-up: issue 15).
_COMPILED: dict[str, re.Pattern[str]] = {}
_COMPILED_MOST = 8192  # several configs' worth; past it the store starts again


def _pattern(text: str, path: Path, line: int | None, where: str) -> re.Pattern[str]:
    found = _COMPILED.get(text)
    if found is not None:
        return found
    try:
        found = re.compile(rf"(?<!\w){text}(?!\w)", re.I)
    except re.error as exc:
        raise LibraryError(path, line, f"{where}: '{text}' is not a valid pattern ({exc})") from None
    if len(_COMPILED) >= _COMPILED_MOST:
        _COMPILED.clear()
    _COMPILED[text] = found
    return found


def term_pattern(term: str) -> str:
    """A term as a pattern: words apart by any space or hyphen, the last with its plural or -ed/-ing ending;
    a trailing * takes any ending."""
    if term.startswith("re:"):
        return f"(?:{term[3:]})"  # a pattern as written, for what words alone cannot say ("set up ... account")
    term = " ".join(term.lower().split())
    prefix = term.endswith("*")
    words = [re.escape(w) for w in term.rstrip("*").split(" ")]
    body = r"[\s\-/]+".join(words)
    if not prefix:
        return body + r"(?:s|es|d|ed|ing|'s|’s)?"
    if len(term.rstrip("*").split(" ")[-1]) >= 5:
        return body + r"[\w\-]*"
    # A short stem takes only word endings: "app*" is apps, never approval; "add*" added, never address.
    return body + r"(?:s|es|e|d|ed|ing|ings|er|ers|ied|ies|y|ful|ment|ments|ged|ging|ted|ting|ned|ning|ped|ping)?"


def _alternatives(terms: Sequence[Any], path: Path, line: int | None, where: str) -> re.Pattern[str]:
    """One pattern for a list of terms (each checked alone first, so a bad one is named); longest first, so
    the words shown as matched are the fullest ("friend request", not "friend")."""
    patterns = [term_pattern(str(t)) for t in terms]
    for term, pattern in zip(terms, patterns, strict=True):
        # Only a pattern as written can be wrong: a term in words is escaped words and fixed endings, which
        # always compile (checking each alone was two thirds of an audit's start-up: issue 15).
        if str(term).startswith("re:"):
            _pattern(pattern, path, line, where)
    patterns.sort(key=len, reverse=True)
    return _pattern("(?:" + "|".join(patterns) + ")", path, line, where)


def _prefixes(terms: Sequence[Any]) -> tuple[str, ...] | None:
    found = []
    for term in terms:
        text = str(term).lower().strip()
        if text.startswith("re:"):
            return None
        found.append(text.rstrip("*").split(" ")[0].split("-")[0])
    return tuple(dict.fromkeys(w for w in found if w))


ACTION_KEYS = (
    "terms",
    "phrasings",
    "inverts",
    "unless",
    "unless_at",
    "against",
    "limits",
    "object",
    "elsewhere",
    "acts",
    "position",
)


def load_audit_config(library: Library) -> AuditConfig:
    """clauses/audit.yaml, checked: every action it names is in clauses/actions.yaml, every pattern compiles."""
    path = library.root / "audit.yaml"
    doc = yamlio.load(path, LibraryError, trusted=True)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None or not isinstance(data.get("modality"), dict) or not isinstance(data.get("actions"), dict):
        raise LibraryError(path, 1, "expected 'modality:' and 'actions:' mappings")
    modality = data["modality"]

    def patterns(key: str, *, terms: bool = False) -> tuple[re.Pattern[str], ...]:
        raw = modality.get(key)
        line = doc.line("modality", key)
        if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
            raise LibraryError(path, line, f"modality.{key}: expected a list of patterns (text)")
        return tuple(_pattern(term_pattern(x) if terms else x, path, line, f"modality.{key}") for x in raw)

    imperative = modality.get("imperative")
    if not isinstance(imperative, list) or not all(isinstance(x, str) for x in imperative):
        raise LibraryError(path, doc.line("modality", "imperative"), "modality.imperative: expected a list of verbs")
    config = AuditConfig(
        path=path,
        forbids=patterns("forbids"),
        requires=patterns("requires"),
        allows=patterns("allows"),
        inverts=patterns("inverts"),
        imperative=frozenset(x.lower() for x in imperative),
        forbid_headings=patterns("forbid_headings"),
        require_headings=patterns("require_headings"),
        states=patterns("states"),
        descriptive=patterns("descriptive") if "descriptive" in modality else (),
        conditions=_joined(patterns("conditions"), path, doc.line("modality", "conditions")),
        waives=_joined(patterns("waives"), path, doc.line("modality", "waives")),
        consent=_joined(patterns("consent"), path, doc.line("modality", "consent")),
        other_subjects=_joined(patterns("other_subjects"), path, doc.line("modality", "other_subjects"))
        if "other_subjects" in modality
        else re.compile(r"(?!x)x"),
        comparisons=_joined(patterns("comparisons"), path, doc.line("modality", "comparisons"))
        if "comparisons" in modality
        else re.compile(r"(?!x)x"),
        review_date=_pattern("(?:" + "|".join(data["review_date"]) + ")", path, doc.line("review_date"), "review_date")
        if isinstance(data.get("review_date"), list) and data["review_date"]
        else re.compile(r"(?!x)x"),
        columns=tuple(
            (kind, _joined(patterns(key), path, doc.line("modality", key)))
            for kind, key in (
                ("forbids", "forbid_columns"),
                ("requires", "require_columns"),
                ("allows", "allow_columns"),
            )
            if key in modality
        ),
    )
    grammar = data.get("grammar")
    if grammar is not None:
        if not isinstance(grammar, dict) or set(grammar) - set(GRAMMAR_KEYS):
            raise LibraryError(path, doc.line("grammar"), f"grammar: expected a mapping of {', '.join(GRAMMAR_KEYS)}")
        built: dict[str, re.Pattern[str]] = {}
        for key, raw in grammar.items():
            line = doc.line("grammar", key)
            if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x.strip() for x in raw):
                raise LibraryError(path, line, f"grammar.{key}: expected a list of patterns (text)")
            for text in raw:
                _scope_pattern(text, path, line, f"grammar.{key}")  # each alone first, so a bad one is named
            builder = _GRAMMAR_BUILDERS.get(key)
            built[GRAMMAR_KEYS[key]] = builder(raw) if builder else re.compile("|".join(f"(?:{x})" for x in raw), re.I)
        config = dataclasses.replace(config, grammar=Grammar(**built))
    for kind, values in (data.get("scope") or {}).items():
        if kind == "self_description":
            line = doc.line("scope", kind)
            for text in values or []:
                _scope_pattern(text, path, line, "scope.self_description")  # each alone first, so a bad one is named
            if values:
                joined = "|".join(f"(?:{t})" for t in values)
                own = _scope_pattern(f"(?:{joined})$", path, line, "scope.self_description")
                config = dataclasses.replace(config, self_description=own)
            continue
        if kind == "names":
            for value, by_nation in (values or {}).items():
                config.scope_names[str(value)] = {str(n): str(name) for n, name in (by_nation or {}).items()}
            continue
        for value, texts in (values or {}).items():
            line = doc.line("scope", kind, value)
            for text in texts:
                _scope_pattern(text, path, line, f"scope.{kind}.{value}")  # each alone first, so a bad one is named
            config.scope.setdefault(str(kind), {})[str(value)] = _scope_pattern(
                "|".join(f"(?:{t})" for t in texts), path, line, f"scope.{kind}.{value}"
            )
    for key, raw in data["actions"].items():
        line = doc.line("actions", key)
        action = str(key)
        if action not in library.actions:
            raise LibraryError(path, line, f"actions: unknown action '{action}' (not in clauses/actions.yaml)")
        if not isinstance(raw, dict) or set(raw) - set(ACTION_KEYS):
            raise LibraryError(
                path, line, f"{action}: expected terms:, and optional {', '.join(k + ':' for k in ACTION_KEYS[1:])}"
            )
        if raw.get("position") not in (None, "depends"):
            raise LibraryError(path, line, f"{action}: position: only 'depends' may be set here")
        groups = raw.get("terms")
        if not isinstance(groups, list) or not groups or not all(isinstance(g, list) and g for g in groups):
            raise LibraryError(path, line, f"{action}: terms: expected a list of groups, each a list of words")
        for group in groups:
            if not all(isinstance(t, str) and t.strip() for t in group):
                raise LibraryError(
                    path, line, f"{action}: terms: every word must be text (quote on, off, yes, no and numbers)"
                )
        phrasings = raw.get("phrasings", [])
        inverts = raw.get("inverts", [])
        unless = raw.get("unless", [])
        unless_at = raw.get("unless_at", [])
        against = raw.get("against", [])
        limits = raw.get("limits", [])
        key_concept = raw.get("object", [])
        elsewhere = raw.get("elsewhere", [])
        acts = raw.get("acts", [])
        lists = (phrasings, inverts, unless, unless_at, against, limits, key_concept, elsewhere, acts)
        if not all(isinstance(x, list) and all(isinstance(t, str) for t in x) for x in lists):
            raise LibraryError(
                path,
                line,
                f"{action}: phrasings, inverts, unless, unless_at, against, limits, object, elsewhere and acts must be"
                " lists of text",
            )
        config.actions[action] = ActionTerms(
            action=action,
            groups=tuple((_alternatives(group, path, line, action),) for group in groups),
            phrasings=tuple(str(p) for p in phrasings),
            inverts=(_alternatives(inverts, path, line, action),) if inverts else (),
            unless=(_alternatives(unless, path, line, action),) if unless else (),
            unless_at=(_alternatives(unless_at, path, line, action),) if unless_at else (),
            against=(_alternatives(against, path, line, action),) if against else (),
            limits=(_alternatives(limits, path, line, action),) if limits else (),
            object=(_alternatives(key_concept, path, line, action),) if key_concept else (),
            elsewhere=(_alternatives(elsewhere, path, line, action),) if elsewhere else (),
            acts=(_alternatives(acts, path, line, action),) if acts else (),
            position=raw.get("position"),
            prefixes=_prefixes(groups[0]),
        )
    return config


# --- BM25 ----------------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the their them they this to was "
    "were will with you your our we us who what when where which one ones any all each do does not".split()
)


def stem(word: str) -> str:
    """A crude English stem, enough to make 'requests' meet 'request' and 'messaging' meet 'message'."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") if len(word) > 4 else word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower().replace("’", "'")) if w not in STOPWORDS]


class BM25:
    """Okapi BM25 over a list of texts (k1 1.5, b 0.75), the usual defaults."""

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.average = sum(self.lengths) / len(self.docs) if self.docs else 0.0
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in frequency.items()}
        self.k1, self.b = k1, b

    def score(self, query: Iterable[str], index: int) -> float:
        doc, length = self.docs[index], self.lengths[index]
        total = 0.0
        norm = self.k1 * (1 - self.b + self.b * length / (self.average or 1))
        for term in set(query):
            tf = doc.get(term)
            if tf:
                total += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
        return total


# --- reading one sentence ------------------------------------------------------------------------------------

# A sentence's own numbering: "4.2", "(b)", and an annex's "A2.5" (a capital or two only when a digit follows)
_LEADING_NUMBER = re.compile(r"^(?:[A-Z]{1,2}(?=\d))?[\d.()\s]+")
NEAR_BEFORE = 14
# A modal that is only an auxiliary verb ("a clinician may", "must"), needing a verb after it to say anything
_BARE_AUXILIARY = re.compile(
    r"\b(?:may|can|could|must|should|shall|will|would|need to|needs to|have to|has to|not|never|don't|cannot)$", re.I
)
_NEW_SUBJECT = re.compile(
    # a new noun ("a clinician", "the manager"); a pronoun ("If ..., they should report it") is the same person
    r",\s+(?:a|an|the|this|that)\b(?:\s+[\w'’-]+){0,3}\s*$",
    re.I,
)
INVERT_NEAR = 4
NEAR_AFTER = 12
CONTRADICT_NEAR = 4


@dataclass(frozen=True)
class Reading:
    """What one sentence says about one action, and why."""

    modality: str | None  # forbids | requires | allows | None (a mention, no rule)
    cue: str  # the words that decided it ("must not", "heading 'Inappropriate'", "imperative 'Use'")
    explicit: bool  # decided by a modal word in the sentence, not by its heading or an opening verb
    distance: int = 0  # words between the modal and the action's words
    at: int = -1  # where the modal starts in the sentence
    end: int = -1  # and where it ends
    restricted: bool = False  # "only authorised staff may ...": allows some, so forbids the rest


def _parts(config: AuditConfig, sentence: str) -> list[tuple[int, int]]:
    """Where the sentence's parts start and end. After an opening "If ...," the instruction that follows
    is a part of its own: in "If information was shared where it should not be, tell your manager" the
    "should not" belongs to the condition, not to telling."""
    # a rule in one part does not carry over a "but", "unless" or "; " into the next (grammar.part_breaks)
    breaks = [m.start() for m in config.grammar.part_break.finditer(sentence)]
    if config.grammar.opening.match(_LEADING_NUMBER.sub("", sentence)):
        for m in re.finditer(r",\s+(\w+)", sentence):
            if m.group(1).lower() in config.imperative:
                breaks.append(m.start())
                break
    spans, start = [], 0
    for at in sorted(set(breaks)):
        spans.append((start, at))
        start = at
    spans.append((start, len(sentence)))
    return spans


def _modal_matches(config: AuditConfig, text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, modality, words) of every modal in ``text``, longest first where two overlap."""
    cached = config.cache.get(text)
    if cached is None:
        if len(config.cache) > 100_000:  # a long-running server audits many documents: keep memory bounded
            config.cache.clear()
        cached = config.cache[text] = _find_modals(config, text)
    return cached


def _find_modals(config: AuditConfig, text: str) -> list[tuple[int, int, str, str]]:
    found: list[tuple[int, int, str, str]] = []
    for kind, patterns in (("forbids", config.forbids), ("requires", config.requires), ("allows", config.allows)):
        for pattern in patterns:
            for m in pattern.finditer(text):
                found.append((m.start(), m.end(), kind, m.group(0)))
    # "as if it may be recorded", "whether it can be shared": a possibility, not a permission
    found = [f for f in found if not (f[2] == "allows" and config.grammar.hedge.search(text[max(0, f[0] - 30) : f[0]]))]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0]), MODALITIES.index(f[2])))
    kept: list[tuple[int, int, str, str]] = []
    for item in found:
        if any(k[0] <= item[0] < k[1] or item[0] <= k[0] < item[1] for k in kept):
            # Overlapping: keep the forbidding reading ("must not" over "must"), else the longer one.
            clash = [k for k in kept if k[0] <= item[0] < k[1] or item[0] <= k[0] < item[1]]
            if item[2] == "forbids" and all(k[2] != "forbids" for k in clash):
                kept = [k for k in kept if k not in clash] + [item]
            continue
        kept.append(item)
    return sorted(kept)


def _descriptive(config: AuditConfig, sentence: str) -> bool:
    key = "\x00descriptive\x00" + sentence
    if key not in config.cache:
        config.cache[key] = [(0, 0, "yes", "")] if any(p.search(sentence) for p in config.descriptive) else []
    return bool(config.cache[key])


def read_sentence(
    config: AuditConfig, terms: ActionTerms | None, sentence: str, anchor: int, heading: str, lead_in: str | None
) -> Reading:
    """What ``sentence`` says about the action whose words start at ``anchor``.

    The nearest modal before the anchor in the anchor's part of the sentence decides; failing that, the
    first after it in that part; failing that, the last modal in an earlier part. A verb that inverts
    ("decline", "switch off") between that modal and the anchor turns requiring into forbidding. With no
    modal at all, the heading ("Inappropriate"), the lead-in ("Staff must not:") or an opening verb decides.
    """
    if _descriptive(config, sentence):
        return Reading(None, "", False)  # "Research found that most social workers do not ...": a report, not a rule
    start, end = next(((s, e) for s, e in _parts(config, sentence) if s <= anchor < e), (0, len(sentence)))
    part = sentence[start:end]
    matches = _modal_matches(config, part)
    # The modal that governs the action's words is close to them: before (within NEAR_BEFORE words), or
    # just after in the passive ("Friend requests from service users must never be accepted").
    before = [m for m in matches if m[0] < anchor - start and len(part[m[1] : anchor - start].split()) <= NEAR_BEFORE]
    after = [
        m
        for m in matches
        if m[0] >= anchor - start
        and len(part[anchor - start : m[0]].split()) <= NEAR_AFTER
        # not a new clause's own subject and verb: in "a service user posting about self-harm ..., a clinician
        # may look" the "may" rules on looking, not on posting
        and not (_BARE_AUXILIARY.search(m[3]) and _NEW_SUBJECT.search(part[anchor - start : m[0]]))
    ]
    chosen = before[-1] if before else (after[0] if after else None)
    if chosen is not None and not before and _in_opening_clause(config, sentence, anchor, start + chosen[0]):
        passive = re.match(r"\s+(?:\w+\s+)?be\b", sentence[start + chosen[1] :]) is not None
        if not passive:
            # "Where a worker has not been given a work phone, they may use their own": the work phone is the
            # condition, which the main clause's "may" does not rule on ("they must be declined" does)
            return Reading(None, "", False)
    if (
        chosen is not None
        and before
        and chosen[2] == "forbids"
        and _condition_only(config, sentence, anchor, start + chosen[0])
    ):
        # "If they don't have capacity to agree to the photo, a relative can consent": the "don't" and the
        # words are both in the condition, which says when the main clause applies, not what staff must do
        # (a permission there, "Where ... customers may be contacted by text", still allows it)
        return Reading(None, "", False)
    opening = _LEADING_NUMBER.sub("", sentence).split(" ", 1)[0].lower().strip(",.:;")
    if not before and opening in config.imperative and sentence[:anchor].strip() and not _NOUN_OPENING.match(sentence):
        # "Keep the device locked with a PIN and never let a child use it": the opening instruction governs
        # the words before the later modal, which rules on something else.
        chosen, matches = None, []
    if chosen is None and not matches:
        # "done from the team account and not a personal account, and recorded on ...": a listed "and not" negates
        # only the phrase it opens, never the next part of the sentence
        earlier = [m for m in _modal_matches(config, sentence[:start]) if not _LISTED_NOT.fullmatch(m[3])]
        # A reason ("..., as the messages are kept on the phone") states why, under no earlier modal, unless
        # that modal waives a consent the reason is about ("no need to ask permission, as the recording ...")
        carries = not _REASON.match(sentence, start) or bool(
            earlier and config.waives.search(earlier[-1][3]) and _consent_after(config, sentence, earlier[-1][1])
        )
        # "the standards cover your use of social media, and a complaint about a post ...": what a code covers
        # is its scope, which rules on nothing in the next part
        carries = carries and not (earlier and _SCOPE_VERB.search(earlier[-1][3]))
        # "This must be agreed with your manager beforehand, done from the team account, and recorded on the file":
        # the passive "must be" governs each participle of its list, however long the list
        listed = bool(
            earlier
            and re.match(r"\s+(?:\w+\s+)?be\b", sentence[earlier[-1][1] :])
            and _LISTED_PARTICIPLE.match(sentence, start)
            and len(sentence[start:anchor].split()) <= 2
        )
        if carries and earlier and (listed or len(sentence[earlier[-1][1] : anchor].split()) <= NEAR_BEFORE):
            chosen, start = earlier[-1], 0
    if chosen is not None and chosen[2] == "allows" and _someone_elses(config, part, chosen):
        return Reading(None, "", False)  # "Parents may take photos at events": not a permission for staff
    if chosen is not None and config.comparisons.fullmatch(chosen[3]) and not _instructs(config, sentence, chosen):
        # "many young people prefer texts rather than letters": a comparison in a sentence that describes
        return Reading(None, "", False)
    if chosen is not None:
        kind, words = chosen[2], chosen[3]
        between = sentence[start + chosen[1] : anchor] if chosen[0] < anchor - start else ""
        distance = len(between.split()) if between else len(sentence[anchor : start + chosen[0]].split())
        if kind != "forbids" and between:
            # "should decline friend requests", "switch off location services": the verb just before the
            # action's words undoes it.
            near = " ".join(between.split()[-INVERT_NEAR:])
            inverting = config.inverts + (terms.inverts if terms else ())
            flip = next((m for p in inverting if (m := p.search(near))), None)
            if flip is None and terms is not None:
                # the action's own first word is its opposite ("should delete the copies" for keeping copies):
                # requiring it forbids the action, as "should decline" does
                flip = next((m for p in terms.inverts if (m := p.match(sentence, anchor))), None)
            if flip:
                return Reading(
                    "forbids", f"{words} {flip.group(0)}", True, distance, start + chosen[0], start + chosen[1]
                )
        if kind == "forbids" and between:
            # "must not take place without written authorisation", "must not be deleted until exported":
            # the action's words come after the condition, which the sentence requires.
            condition = config.conditions.search(between)
            if condition:
                return Reading(
                    "requires",
                    f"{words} ... {condition.group(0)}",
                    True,
                    distance,
                    start + chosen[0],
                    start + chosen[1],
                )
        restricted = kind != "forbids" and (
            config.grammar.only.search(sentence[max(0, start + chosen[0] - 60) : start + chosen[1]])
            # "Repeated viewing may need authorisation": allowed with the consent, forbidden without it, as
            # "only with authorisation" is
            or (kind == "requires" and config.consent.search(words))
        )
        return Reading(kind, words, True, distance, start + chosen[0], start + chosen[1], bool(restricted))
    if matches:
        return Reading(None, "", False)  # a modal too far away to govern these words: a mention, not a rule
    if lead_in:
        return Reading(lead_in, "the sentence that introduces the list", False)
    if any(p.search(heading) for p in config.forbid_headings):
        return Reading("forbids", f"under the heading '{heading}'", False)
    first = _opening_verb(config, sentence)
    if first in config.imperative:
        inverting = config.inverts + (terms.inverts if terms else ())
        if any(p.search(sentence[:anchor]) for p in inverting):
            return Reading("forbids", f"the instruction '{first}'", False)
        return Reading("requires", f"the instruction '{first}'", False)
    if any(p.search(heading) for p in config.require_headings):
        return Reading("requires", f"under the heading '{heading}'", False)
    stated = next((m for p in config.states if (m := p.search(_LEADING_NUMBER.sub("", sentence)))), None)
    if stated:
        # "The DPO approves new tools before they are used": no use before the approval, which forbids it until then
        return Reading(
            "forbids" if re.search(r"\b(?:do not|never|before)$", stated.group(0)) else "requires",
            "stated as fact",
            False,
        )
    return Reading(None, "", False)


def _someone_elses(config: AuditConfig, part: str, modal: tuple[int, int, str, str]) -> bool:
    """Whether the permission at ``modal`` is given to someone other than staff: its subject, the words from
    the start of its clause to the modal, names only such people ("Young people can ...", "Families who want
    to can ...")."""
    if re.search(r"\b(?:be|been|take place)\b", modal[3]) or re.match(
        r"\s*(?:only |also |still )?be\b", part[modal[1] :]
    ):
        # the passive: "Photos of young people can be taken" names what is done, not who may do it, unless it
        # names them after "by" ("Photos may be taken by parents at events")
        agent = _AGENT.match(part, modal[1])
        return bool(agent and config.other_subjects.match(agent.group(1)) and not _STAFF_SUBJECT.match(agent.group(1)))
    clause_start = max(part.rfind(", ", 0, modal[0]), part.rfind(": ", 0, modal[0]))
    subject = part[clause_start + 1 if clause_start >= 0 else 0 : modal[1]]
    return bool(config.other_subjects.search(subject)) and not _STAFF_SUBJECT.search(subject)


# An opening word used as a noun, not an instruction: "Contact with former clients is ...", "Use of
# personal phones ...", "Record of the visit ..."
_NOUN_OPENING = re.compile(r"^(?:[A-Z]{1,2}(?=\d))?[\d.()\s]*\w+\s+(?:with|of|between|from|by)\b", re.I)
# Who does what a passive permission allows: "may be taken by (the) parents", "can be used by staff"
_AGENT = re.compile(r"\s*(?:[\w-]+\s+){0,2}?by\s+(?:the\s+|their\s+|a\s+|an\s+)?((?:[\w-]+\s*){1,3})", re.I)
# A subject that is staff, beside any other ("staff and carers may ..."): the permission is staff's too
_STAFF_SUBJECT = re.compile(
    r"\b(?:staff|you|workers?|employees?|colleagues?|practitioners?|managers?|students?|we|social workers?|"
    r"volunteers?|officers?|clinicians?|nurses?|advisers?|professionals?)\b",
    re.I,
)


def _in_opening_clause(config: AuditConfig, sentence: str, anchor: int, modal: int) -> bool:
    """Whether ``anchor`` is in an opening "If/Where/When ...," clause that says something is missing ("has
    not been issued with a work phone") and ``modal`` after it: the main clause then rules on what is used
    instead, not on the missing thing. ("If a parent messages you on your own phone, you may reply" rules on
    the own phone: nothing there is missing.)"""
    number = _LEADING_NUMBER.match(sentence)
    skip = number.end() if number else 0
    opening = config.grammar.opening.match(sentence[skip:])
    if opening is None or not anchor < skip + opening.end() <= modal:
        return False
    return config.grammar.absent.search(opening.group(0)) is not None


def _condition_only(config: AuditConfig, sentence: str, anchor: int, modal: int) -> bool:
    """Whether ``modal`` and ``anchor`` both lie in an opening "If/Where/When ...," clause that a main clause
    follows: the modal then describes the case ("If they don't have capacity to agree"), and rules on nothing."""
    number = _LEADING_NUMBER.match(sentence)
    skip = number.end() if number else 0
    opening = config.grammar.opening.match(sentence[skip:])
    if opening is None:
        return False
    end = skip + opening.end()
    return modal < end and anchor < end and bool(sentence[end:].strip())


def _instructs(config: AuditConfig, sentence: str, comparison: tuple[int, int, str, str]) -> bool:
    """Whether a sentence with a comparison ("rather than") gives an instruction: a modal other than a
    comparison anywhere in it, or an opening verb in the imperative ("Send a link rather than ...")."""
    others = [m for m in _modal_matches(config, sentence) if not config.comparisons.fullmatch(m[3])]
    return bool(others) or _opening_verb(config, sentence) in config.imperative


# A modal that waives a duty ("is not necessary", "no need to"), and the duty it waives close after it.
# Between a modal and the action's verb in the passive: "should (also) be kept"
_PASSIVE_GAP = re.compile(r"\s*(?:(?:also|still|then|only|always|not|never)\s+)*(?:be|been)\s+", re.I)
_WORD_START = re.compile(r"\w+")


def _consent_after(config: AuditConfig, sentence: str, at: int) -> str | None:
    """The consent named within the seven words after ``at`` ("to ask everyone's permission"), if any."""
    for word in list(_WORD_START.finditer(sentence, at))[:8]:
        found = config.consent.match(sentence, word.start())
        if found:
            return found.group(0)
    return None


def _waiver(config: AuditConfig, sentence: str, reading: Reading) -> str | None:
    """The duty a sentence waives ("ask everyone's permission" after "It is not necessary to"), if it does."""
    if reading.modality != "forbids" or reading.end < 0 or not config.waives.search(reading.cue):
        return None
    return _consent_after(config, sentence, reading.end)


_SCOPE_VERB = re.compile(r"(?:appl(?:y|ies)|covers?|extends? to)$", re.I)
_REASON = re.compile(r",\s(?:as|because|since)\s", re.I)
_LISTED_NOT = re.compile(r"(?:and|but|or) not", re.I)
_LISTED_PARTICIPLE = re.compile(
    r"[,;]?\s*(?:and\s+|or\s+|then\s+)?(?:\w+ed|done|seen|kept|made|given|taken|written|held|sent|shown)\b", re.I
)


def _opening_verb(config: AuditConfig, sentence: str) -> str:
    """The sentence's first word, after its numbering; after an opening "If ...," ("If you are abused,
    threatened or harassed, tell your manager"), the first word of a later part that is an instruction."""
    grammar = config.grammar
    text = grammar.softener.sub("", _LEADING_NUMBER.sub("", sentence))
    first = text.split(" ", 1)[0].lower().strip(",.:;")
    if grammar.opening.match(text):
        for part in text.split(", ")[1:]:
            word = grammar.softener.sub("", part).split(" ", 1)[0].lower().strip(",.:;")
            if word in config.imperative:
                return word
    return first


# --- the library's position ----------------------------------------------------------------------------------


def position_of(modalities: Iterable[str]) -> str | None:
    """forbid (every rule must_not / should_not), allow (every rule must / should / may), depends (both)."""
    found = set(modalities)
    if not found:
        return None
    forbidding = found <= {"must_not", "should_not"}
    allowing = found <= {"must", "should", "may"}
    return "forbid" if forbidding else "allow" if allowing else "depends"


def judge(position: str, modality: str) -> str | None:
    """covers or contradicts: what the document says against the position. Weaker in the same direction covers.

    None where the reading is more likely a misreading than a rule: no policy requires what the library
    forbids ("you must post about service users"); a sentence that seems to is worded the other way round
    ("ensure time on social media is limited"), so only allowing it contradicts a forbidding position.
    """
    if position == "depends":
        return "covers"
    if position == "forbid":
        return "covers" if modality == "forbids" else "contradicts"
    return "contradicts" if modality == "forbids" else "covers"


# --- matching ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    passage: Passage
    sentence: str
    modality: str  # forbids | requires | allows
    cue: str  # the words that decided the modality
    matched: tuple[str, ...]  # the words of the action's term groups found
    whole: bool = True  # every term group found in the sentence itself (not helped by its heading)
    distance: int = 0  # words between the modal and the action's words
    explicit: bool = True  # a modal word decided, not a heading or an opening verb
    governs: bool = True  # the modal comes before the words found, or after them in the passive
    lead: int = 0  # words between the modal and the first of the action's words after it
    reach: int = 0  # words from the modal to the last of the action's words
    first: bool = True  # the modal comes before every one of the action's words in the sentence
    restricted: bool = False  # "only ... may": a restriction, which agrees with forbidding and allowing alike
    against: bool = False  # allows the action in a way no stance offers ("a free AI chatbot"): contradicts
    follows: bool = False  # the modal right after the action's word, its subject ("Authorisation is not needed")


@dataclass(frozen=True)
class Match:
    action: str
    verdict: str  # covers | contradicts | misses
    position: str  # forbid | allow | depends: the library's (or this employer's) position
    evidence: Evidence | None
    also: tuple[Evidence, ...] = ()  # other sentences that address it (e.g. the covering rule beside a contradiction)


def _lead_ins(config: AuditConfig, passages: Sequence[Passage]) -> list[str | None]:
    """For each passage, the modality of the sentence that introduces it ("Staff must not:" before a list)."""
    lead: list[str | None] = []
    current: str | None = None
    heading: str | None = None
    for passage in passages:
        if passage.column:
            # a cell under "Don't" or "Do": its column says how to read it, as a lead-in says for a list
            lead.append(column_modality(config, passage.column))
            continue
        if passage.heading != heading:
            current, heading = None, passage.heading
        words = len(passage.text.split())
        if current is not None and (words > LIST_ITEM_WORDS or _NUMBERED_PARAGRAPH.match(passage.text)):
            # a paragraph of prose, or one with its own clause number ("5.6 Employees are advised ..."), ends
            # the list the lead-in introduced: list items are not numbered as the document's clauses are
            current = None
        lead.append(current)
        if passage.text.rstrip().endswith(":"):
            # "Staff must not:" introduces a list; "Social media includes:" or "Your reputation is formed by:" do not
            found = [m for m in _modal_matches(config, passage.text) if _LEAD_IN_MODAL.search(m[3])]
            current = found[-1][2] if found else None
    return lead


LIST_ITEM_WORDS = 40
# A clause number of the document's own ("5.6", "A2.5", "12.3(b)"), which list items under a lead-in do not carry
_NUMBERED_PARAGRAPH = re.compile(r"\(?[A-Z]?\d+(?:\.\d+)+\)?\s")
_LEAD_IN_MODAL = re.compile(r"\b(?:must|should|never|do not|don't|not|permitted|allowed|may|can|ok|okay)\b", re.I)


WINDOW = 32  # words: every word of an action's term groups found in a sentence lies within this span


_HEADING_HITS: dict[tuple[re.Pattern[str], str], str | None] = {}


def _in_heading(pattern: re.Pattern[str], heading: str) -> str | None:
    """The words of ``pattern`` in a heading, remembered: a document has few headings and many sentences."""
    key = (pattern, heading)
    if key not in _HEADING_HITS:
        if len(_HEADING_HITS) > 100_000:
            _HEADING_HITS.clear()
        m = pattern.search(heading)
        _HEADING_HITS[key] = m.group(0) if m else None
    return _HEADING_HITS[key]


def _find_all(
    groups: Sequence[Sequence[re.Pattern[str]]], sentence: str, heading: str
) -> list[tuple[int, list[str], bool, int]]:
    """_find for each place the first group's words occur in the sentence (at most four): in "Laptops must
    be locked with a PIN and must never be left unlocked and unattended", "PIN" and "unlocked" are
    each read with the modal nearest them."""
    found = []
    for first in list(groups[0][0].finditer(sentence))[:4]:
        result = _find(groups, sentence, heading, first)
        if result is not None:
            found.append(result)
    return found


def _find(
    groups: Sequence[Sequence[re.Pattern[str]]], sentence: str, heading: str, first: re.Match[str]
) -> tuple[int, list[str], bool, int] | None:
    """(anchor, matched words, all in the sentence, start of the words) when every group matches close
    together: the first group at ``first``, the rest in the sentence or the heading. The anchor, whose
    modal decides, is the first group's word: write each action's terms with the thing ruled on first
    ("friend request", then who it is from)."""
    found = [first]
    matched = [first.group(0)]
    for group in groups[1:]:
        near = [m for p in group for m in p.finditer(sentence)]
        if near:
            best = min(near, key=lambda m: abs(m.start() - first.start()))
            found.append(best)
            matched.append(best.group(0))
            continue
        hit = _in_heading(group[0], heading)
        if hit is None:
            return None
        matched.append(hit)
    start, end = min(m.start() for m in found), max(m.end() for m in found)
    if len(sentence[start:end].split()) > WINDOW:
        return None
    return first.start(), matched, len(found) == len(groups), start


def _occurrences(text: str, words: Sequence[str], starts: Sequence[int]) -> set[int]:
    """The indexes of the sentences (starting at ``starts`` in ``text``) that hold any of ``words``."""
    found: set[int] = set()
    for word in words:
        at = text.find(word)
        while at >= 0:
            index = bisect_right(starts, at) - 1
            found.add(index)
            # on to the next sentence: one hit a sentence is enough
            at = text.find(word, starts[index + 1]) if index + 1 < len(starts) else -1
    return found


def _universal_actions(library: Library) -> set[str]:
    """Actions every employer's policy rules on, as far as the library's structure shows: a rule without
    `when` in a clause without `when` in a section without `when`, or in every clause of a group (one of
    which every policy holds). Others are for some stances only (a rule on viewing where viewing is allowed)."""
    found: set[str] = set()
    for section in library.sections:
        if section.when:
            continue
        groups: dict[str, list[set[str]]] = {}
        for clause in section.clauses:
            plain = {r.action for r in clause.rules if r.when is None}
            if clause.group:
                groups.setdefault(clause.group, []).append(plain)
            elif clause.when is None:
                found |= plain
        for members in groups.values():
            found |= set.intersection(*members) if members else set()
    return found


def _lead(sentence: str, end: int, terms: ActionTerms | None, matched: Sequence[str]) -> int:
    """Words between a modal ending at ``end`` and the first word of any of the action's term groups after it."""
    if end < 0:
        return 0
    if terms is not None:
        after = [m.start() for group in terms.groups for m in group[0].finditer(sentence, end)]
    else:
        after = [i for word in matched if (i := sentence.find(word, end)) >= 0]
    return len(sentence[end : min(after)].split()) if after else 99


def _reach(sentence: str, at: int, matched: Sequence[str]) -> int:
    """Words from a modal at ``at`` to the end of the last of the action's words after it."""
    if at < 0:
        return 99
    ends = [i + len(word) for word in matched if (i := sentence.find(word, at)) >= 0]
    return len(sentence[at : max(ends)].split()) if ends else 99


def _auto_groups(description: str) -> tuple[tuple[re.Pattern[str], ...], ...]:
    """For an action audit.yaml does not list: its distinctive description words, most of which must appear."""
    words = [w for w in dict.fromkeys(tokens(description)) if len(w) > 3]
    return tuple((re.compile(rf"\b{re.escape(w)}\w*", re.I),) for w in words)


def _away_from_contradictions(results: list[Match]) -> list[Match]:
    """A rule covered by a sentence the report quotes as a contradiction ("you can use your own phone for texts"
    covers "may send texts") is shown with another sentence that covers it, where there is one: the
    contradiction is that sentence's point, and quoting it as agreeing with us confuses a reader."""
    accused = {m.evidence.sentence for m in results if m.verdict == "contradicts" and m.evidence is not None}
    if not accused:
        return results
    out = []
    for m in results:
        if m.verdict == "covers" and m.evidence is not None and m.evidence.sentence in accused:
            others = [e for e in m.also if e.sentence not in accused]
            if others:
                m = Match(m.action, m.verdict, m.position, others[0], tuple(others[1:]))
        out.append(m)
    return out


# A pronoun, as the object of a verb, that points back to the sentence before: "If someone sends you one",
# "ignore it" (not a subject: in "it must use Council equipment" the "it" is whoever the sentence is about)
_POINTS_BACK = re.compile(
    r"\b[a-z]+\s+(?:you\s+|them\s+)?(?:one|it|them)\b(?!\s+(?:must|should|may|can|could|will|would|is|was|has|does|do|needs?|includes?)\b)",
    re.I,
)


# An answer that opens on "Yes" or "No" ("Yes, if there is a good reason.", "No.")
_YES_NO = re.compile(r"(yes|no)\b(?!\s+(?:one|longer|more|need|matter)\b)[,.;:!]?", re.I)
SHORT_ANSWER = 6  # words: "Don't accept it.", "Tell your manager.", "Speak to your manager first."


def _answer_place(terms: ActionTerms, sentence: str, question: str) -> list[tuple[int, list[str], bool, int]]:
    """The action's words in a short answer and the question it answers, read from the answer's start: every
    group in one or the other, the question not about something more specific (``unless``). Never whole, so
    never enough to accuse a document of a contradiction."""
    if terms.unless and any(p.search(question) for p in terms.unless):
        return []
    matched = []
    for group in terms.groups:
        hit = group[0].search(sentence) or group[0].search(question)
        if hit is None:
            return []
        matched.append(hit.group(0))
    return [(0, matched, False, 0)]


# A heading that asks the question its paragraphs answer ("Can I look at someone's Facebook page?")
_QUESTION_HEADING = re.compile(r"\?[\"'”’]?\s*$")


# The verbs a rule's description or phrasing opens on: "Post, share or forward images ..." -> "Post, share or forward"
_OPENING_VERBS = re.compile(r"^[A-Za-z]+(?:(?:,\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+)[A-Za-z]+)*")
_VERB_SPLIT = re.compile(r",\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+")


class Matcher:
    """Everything that does not change between documents, worked out once per library."""

    def __init__(self, library: Library, config: AuditConfig | None = None) -> None:
        self.library = library
        self.config = config or load_audit_config(library)
        modalities: dict[str, set[str]] = {}
        for clause in library.clauses:
            for rule in clause.rules:
                modalities.setdefault(rule.action, set()).add(rule.modality)
        self.positions = {a: p for a, m in modalities.items() if (p := position_of(m))}
        # Actions the library only permits ("Staff may send text messages"): a document that forbids one is
        # stricter than we are, which is a choice, not a wrong turn; it never contradicts a "may".
        self.permitted_only = frozenset(a for a, m in modalities.items() if m == {"may"})
        for action, terms in self.config.actions.items():
            if terms.position and action in self.positions:
                self.positions[action] = terms.position
        self.universal = _universal_actions(library)
        # Actions the library forbids only "without" something (agreement, consent): a sentence that makes
        # the condition a duty agrees with the rule, one that waives the condition goes against it.
        # ("... before information governance approves it" is the same condition, put the other way)
        self.conditional = {
            a
            for a in self.positions
            if re.search(
                r"\bwithout\b|\bbefore\b.*\b(?:approv|agree|authoris|consent|permission)",
                library.actions[a].description,
            )
        }
        self.queries = {
            action: tokens(
                " ".join(
                    [library.actions[action].description, *getattr(self.config.actions.get(action), "phrasings", ())]
                )
            )
            for action in self.positions
        }
        self.auto = {
            action: _auto_groups(library.actions[action].description)
            for action in self.positions
            if action not in self.config.actions
        }
        # The stems an action found by its description needs, and how many of them a sentence must hold.
        self.auto_stems: dict[str, tuple[set[str], int]] = {}
        for action, groups in self.auto.items():
            wanted = {w for w in dict.fromkeys(tokens(library.actions[action].description)) if len(w) > 3}
            self.auto_stems[action] = (wanted, max(3, math.ceil(0.6 * len(groups))) if len(groups) >= 3 else 0)
        self._acts: dict[str, frozenset[str]] = {}
        self._description_stems: dict[str, frozenset[str]] = {}

    def acts(self, action: str) -> frozenset[str]:
        """The stems of the act a rule governs: its description's opening verbs ("Post, share or forward images
        ..." -> post, share, forward) and the first word of each of its phrasings."""
        found = self._acts.get(action)
        if found is None:
            terms = self.config.actions.get(action)
            texts = [self.library.actions[action].description, *(terms.phrasings if terms else ())]
            words = [w for text in texts if (m := _OPENING_VERBS.match(text)) for w in _VERB_SPLIT.split(m.group(0))]
            found = self._acts[action] = frozenset(stem(w.lower()) for w in words if w and w.lower() not in STOPWORDS)
        return found

    def carries(self, action: str, sentence: str) -> bool:
        """The sentence itself says the rule's key concept (its `object:` words, else its first term group, the
        thing ruled on) and the act the rule governs (a verb of its description or phrasings, one of its `acts:`
        or `inverts:`): what a clear finding rests on."""
        terms = self.config.actions.get(action)
        if terms is None:
            if self._auto_find(action, sentence) is None:
                return False
        else:
            if terms.unless and any(p.search(sentence) for p in terms.unless):
                return False
            concept = terms.object or terms.groups[0]
            if not any(p.search(sentence) for p in concept) or not _find_all(terms.groups, sentence, ""):
                return False
            if any(p.search(sentence) for p in (*terms.acts, *terms.inverts)):
                return True
        return bool(self.acts(action) & set(tokens(sentence)))

    def fit(self, action: str, sentence: str) -> float:
        """How much of the rule's description the sentence says: the share of its words found."""
        wanted = self._description_stems.get(action)
        if wanted is None:
            wanted = self._description_stems[action] = frozenset(tokens(self.library.actions[action].description))
        return len(wanted & set(tokens(sentence))) / len(wanted) if wanted else 0.0

    def better_fit(self, action: str, sentence: str, modality: str | None = None) -> str | None:
        """Another rule the sentence fits better than ``action``: it says that rule's key concept and act too, and
        more of its words. Given the sentence's ``modality``, only a rule the sentence would not also go against
        counts: a sentence that allows what two neighbouring rules forbid contradicts either."""
        own = self.fit(action, sentence)
        best, score = None, own
        # a rival's words only in the opening condition ("Where a team has no work account, staff may use their
        # own") are the occasion, not what the sentence rules on
        number = _LEADING_NUMBER.match(sentence)
        body = sentence[number.end() if number else 0 :]
        opening = self.config.grammar.opening.match(body)
        main = body[opening.end() :] if opening else body
        for other in self.positions:
            if other == action:
                continue
            value = self.fit(other, sentence)
            if value <= score or not self.carries(other, main):
                continue
            if modality is not None and self._against(other, sentence, modality):
                continue
            if modality == "allows" and other in self.permitted_only:
                # a rule the library only permits ("may send texts") is allowed anyway: a sentence allowing it
                # ("may text from their own phone") still rules on the rule it goes against
                continue
            if modality is not None and self.positions[other] == "depends" and self.positions[action] != "depends":
                # a matter employers differ on ("use your own phone for work") answers another question than the
                # rule the sentence goes against ("never message a young person from your own phone"): no rival
                continue
            best, score = other, value
        return best

    def _against(self, action: str, sentence: str, modality: str) -> bool:
        terms = self.config.actions.get(action)
        if modality == "allows" and terms is not None and any(p.search(sentence) for p in terms.against):
            return True  # "a free AI chatbot": a position no stance offers
        return judge(self.positions[action], modality) == "contradicts"

    def clear(self, action: str, evidence: Evidence) -> bool:
        """A finding the audit is sure of: the quoted sentence says the rule's key concept and its act, with a modal
        word of its own, and no other rule of the library fits the sentence better."""
        return (
            evidence.explicit
            and evidence.whole
            and self.carries(action, evidence.sentence)
            and self.better_fit(action, evidence.sentence, evidence.modality) is None
        )

    def match(self, passages: Sequence[Passage], positions: Mapping[str, str] | None = None) -> list[Match]:
        """A Match for every action the library rules on or, given ``positions`` (an employer's own, from its
        profile), for exactly those actions, judged against those positions."""
        positions = dict(self.positions) if positions is None else dict(positions)
        sentences: list[tuple[Passage, str]] = [(p, s) for p in passages for s in iter_sentences(p.text)]
        index_of_passage = {p.index: i for i, p in enumerate(passages)}
        bm25 = BM25([f"{p.heading} {p.text}" for p in passages]) if passages else None
        lead_ins = _lead_ins(self.config, passages)
        results = []
        # Every sentence in one text, so each action's key words are looked for once over the document (a
        # 40-page policy has about 1,000 sentences and the library 180 actions), then only where they occur.
        joined = "\n".join(sentence for _, sentence in sentences)
        starts, offset = [], 0
        for _, sentence in sentences:
            starts.append(offset)
            offset += len(sentence) + 1
        stems = [set(tokens(sentence)) for _, sentence in sentences]
        joined_lower = joined.lower()
        # A short answer that opens the paragraph under a question ("Can I accept a friend request from a
        # parent?" / "Don't accept it."): the question says what the answer rules on
        answers: set[int] = set()
        for i, (passage, sentence) in enumerate(sentences):
            k = index_of_passage[passage.index]
            if (
                _QUESTION_HEADING.search(passage.heading)
                and (len(sentence.split()) <= SHORT_ANSWER or _YES_NO.match(sentence))
                and (i == 0 or sentences[i - 1][0] is not passage)
                and (k == 0 or passages[k - 1].heading != passage.heading)
            ):
                answers.add(i)
        for action, position in positions.items():
            terms = self.config.actions.get(action)
            candidates: list[tuple[float, Evidence]] = []
            if terms is not None and terms.prefixes is not None:
                where = sorted(_occurrences(joined_lower, terms.prefixes, starts))
            elif terms is not None:
                where = sorted({bisect_right(starts, m.start()) - 1 for m in terms.groups[0][0].finditer(joined)})
            else:
                wanted, needed = self.auto_stems[action]
                where = [i for i, found in enumerate(stems) if needed and len(wanted & found) >= needed]
            # what the document says once about the action, read with each sentence as its heading is
            said_elsewhere = ""
            if terms is not None and terms.elsewhere:
                found = [m.group(0) for p in terms.elsewhere for m in [p.search(joined)] if m]
                said_elsewhere = "\n".join(found)
            if terms is not None and answers:
                where = sorted(set(where) | {i for i in answers if terms.groups[0][0].search(sentences[i][0].heading)})
            for i in where:
                passage, sentence = sentences[i]
                if terms is not None:
                    if terms.unless and any(p.search(sentence) for p in terms.unless):
                        continue
                    if terms.object and not any(
                        p.search(sentence) or (_QUESTION_HEADING.search(passage.heading) and p.search(passage.heading))
                        for p in terms.object
                    ):
                        # the heading or topic words alone: the sentence does not say what is ruled on, unless the
                        # heading is the question the sentence answers ("Can I look at a parent's Facebook?" /
                        # "Speak to your manager first.")
                        continue
                    # "Don't accept friend requests. If someone sends you one, ignore it and tell your manager": a
                    # sentence that points back ("one", "it") reads the sentence before it, in the same passage, as
                    # it reads its heading (never enough to accuse a document of a contradiction)
                    context = f"{passage.heading}\n{said_elsewhere}" if said_elsewhere else passage.heading
                    if _POINTS_BACK.search(sentence):
                        if i and sentences[i - 1][0] is passage:
                            context = f"{context}\n{sentences[i - 1][1]}"
                        # "Don't accept it. Make a short note on the file": an instruction in two sentences, the
                        # second opening on its verb, is one rule; read the second as context too
                        if i + 1 < len(sentences) and sentences[i + 1][0] is passage:
                            after = sentences[i + 1][1]
                            if _opening_verb(self.config, after) in self.config.imperative:
                                context = f"{context}\n{after}"
                    places = _find_all(terms.groups, sentence, context)
                    if said_elsewhere and places:
                        # the document says the rest in terms, if not in this sentence: as whole as if it did
                        in_terms = {pl[0] for pl in _find_all(terms.groups, sentence, said_elsewhere)}
                        places = [(a, m, whole or a in in_terms, at) for a, m, whole, at in places]
                    if not places and i in answers:
                        places = _answer_place(terms, sentence, passage.heading)
                    if terms.unless_at:
                        spans = [m.span() for u in terms.unless_at for m in u.finditer(sentence)]
                        places = [pl for pl in places if not any(a <= pl[0] < b for a, b in spans)]
                else:
                    auto = self._auto_find(action, sentence)
                    places = [auto] if auto else []
                for place in places:
                    evidence = self._evidence(
                        action, terms, passage, sentence, place, lead_ins[index_of_passage[passage.index]]
                    )
                    said = _YES_NO.match(sentence) if i in answers and not place[2] else None
                    if said is not None:
                        # "Can I take a photo during a visit?" / "Yes, if there is a good reason": the answer
                        # allows what the question asks ("No" forbids it), whatever the rest of the sentence says
                        yes = said.group(1).lower() == "yes"
                        evidence = Evidence(
                            passage,
                            sentence,
                            "allows" if yes else "forbids",
                            f"the answer '{said.group(1)}'",
                            tuple(place[1]),
                            whole=False,
                            explicit=False,
                            # behind any sentence that says it in its own words (quoted first where there is one)
                            lead=99,
                            reach=99,
                        )
                    if evidence is not None:
                        score = bm25.score(self.queries[action], index_of_passage[passage.index]) if bm25 else 0.0
                        candidates.append((score + (2.0 if evidence.explicit else 0.0), evidence))
            results.append(self._verdict(action, position, candidates, action in self.permitted_only))
        return _away_from_contradictions(self._taken_back(results))

    def _taken_back(self, results: list[Match]) -> list[Match]:
        """A rule covered by a sentence that the next sentence of its paragraph takes back is not covered: in
        "Staff should use a work mobile. Where a worker has not been given a work mobile, they may use their
        own", the second sentence, reported as a contradiction, opens on the very thing the first requires
        being missing, so the first is a rule with an exception that defeats it, not a rule the policy keeps."""
        accused = [m.evidence for m in results if m.verdict == "contradicts" and m.evidence is not None]
        openings: dict[tuple[int, str], str] = {}
        for evidence in accused:
            number = _LEADING_NUMBER.match(evidence.sentence)
            text = evidence.sentence[number.end() if number else 0 :]
            opening = self.config.grammar.opening.match(text)
            if opening and self.config.grammar.absent.search(opening.group(0)):
                openings[(evidence.passage.index, evidence.sentence)] = opening.group(0)
        if not openings:
            return results
        out = []
        for m in results:
            terms = self.config.actions.get(m.action)
            if m.verdict == "covers" and m.evidence is not None and terms is not None:
                sentences = list(iter_sentences(m.evidence.passage.text))
                at = sentences.index(m.evidence.sentence) if m.evidence.sentence in sentences else -1
                following = sentences[at + 1] if 0 <= at < len(sentences) - 1 else None
                condition = openings.get((m.evidence.passage.index, following or ""))
                if condition is not None and terms.groups[0][0].search(condition):
                    others = [e for e in m.also if e.sentence != m.evidence.sentence]
                    m = (
                        Match(m.action, "covers", m.position, others[0], tuple(others[1:]))
                        if others
                        else (Match(m.action, "misses", m.position, None))
                    )
            out.append(m)
        return out

    def _evidence(
        self,
        action: str,
        terms: ActionTerms | None,
        passage: Passage,
        sentence: str,
        place: tuple[int, list[str], bool, int],
        lead_in: str | None,
    ) -> Evidence | None:
        """What the sentence says about the action at one place its words occur; None for a mention."""
        anchor, matched, whole, span_start = place
        reading = read_sentence(self.config, terms, sentence, anchor, passage.heading, lead_in)
        if reading.modality is None:
            return None
        modality, cue = reading.modality, reading.cue
        if (
            modality == "forbids"
            and self.positions.get(action) == "allow"
            and anchor <= reading.at < anchor + len(matched[0])
        ):
            # the words of a rule that requires hold the "not" ("do not accept" for declining a request): saying
            # them is what the rule asks, not a ban on it (a forbidding rule's "must not take" keeps its "not")
            modality = "requires"
        if passage.column and lead_in and not reading.explicit:
            cue = f"in the column '{passage.column}'"
        waiver = _waiver(self.config, sentence, reading)
        if waiver and action in self.conditional:
            # "It is not necessary to ask everyone's permission": doing it without the condition is allowed,
            # which is what a rule against doing it "without agreement" forbids. The sentence says so itself.
            modality, cue, whole = "allows", f"{cue} ... {waiver}", True
        elif modality == "forbids" and self.config.waives.search(cue) and self.config.consent.match(sentence, anchor):
            whole = True  # "Authorisation is not needed": the waived thing is the action's own first word
        elif (
            modality == "requires"
            and action in self.conditional
            and (condition := self.config.conditions.search(sentence[:anchor]))
        ):
            # "Speak to your manager before accepting any contact": the condition the rule asks for
            modality, cue = "forbids", f"{cue} ... {condition.group(0)}"
        against = bool(
            terms is not None
            and modality == "allows"
            and terms.against
            and any(p.search(sentence) for p in terms.against)
        )
        between = sentence[reading.end : anchor] if 0 <= reading.end <= anchor else None
        passive = between is not None and bool(_PASSIVE_GAP.fullmatch(between))
        return Evidence(
            passage,
            sentence,
            modality,
            cue,
            tuple(matched),
            whole=whole,
            distance=reading.distance,
            explicit=reading.explicit,
            # the modal comes before the words, or after a short subject ("Photos ... can be taken")
            governs=reading.at <= span_start
            or reading.at > anchor
            or len(sentence[span_start : reading.at].split()) <= 8
            # "Everyday texts, such as ..., do not need to be copied to the record": in the passive the words
            # before the modal, however long, are what the verb right after it is done to
            or passive,
            # "a copy should also be kept": the thing before the modal, the action's verb right after it
            lead=0 if passive else _lead(sentence, reading.end, terms, matched),
            reach=_reach(sentence, reading.at, matched),
            first=passive or 0 <= reading.at <= span_start,
            restricted=reading.restricted
            or bool(terms is not None and modality == "allows" and any(p.search(sentence) for p in terms.limits)),
            against=against,
            follows=reading.at > anchor and reading.distance <= 2,
        )

    def _auto_find(self, action: str, sentence: str) -> tuple[int, list[str], bool, int] | None:
        groups = self.auto[action]
        if len(groups) < 3:
            return None
        hits = [m for group in groups if (m := group[0].search(sentence))]
        if len(hits) < max(3, math.ceil(0.6 * len(groups))):
            return None
        first = min(m.start() for m in hits)
        return first, [m.group(0) for m in hits], True, first

    @staticmethod
    def _verdict(
        action: str, position: str, candidates: list[tuple[float, Evidence]], permitted_only: bool = False
    ) -> Match:
        if not candidates:
            return Match(action, "misses", position, None)
        candidates.sort(key=lambda c: -c[0])
        judged = [
            ("contradicts" if e.against else "covers" if e.restricted else judge(position, e.modality), e)
            for _, e in candidates
        ]
        # A planted contradiction beside a good rule is still a contradiction, but only on strong evidence:
        # a modal word the sentence itself says (a heading or an opening verb is too weak to accuse a
        # policy), every term in the sentence, and, against a rule that requires, the "not" close by.
        explicit_against = [
            e
            for verdict, e in judged
            if verdict == "contradicts"
            # forbidding what we only permit is a stricter choice, not a contradiction
            and not (permitted_only and position == "allow" and e.modality == "forbids")
            and e.explicit
            and e.whole
            and e.governs
            # forbidding what the library requires: the "not" is close before the action's words
            and (
                position != "allow"
                or (e.lead <= CONTRADICT_NEAR and e.distance <= 2 * CONTRADICT_NEAR)
                or (e.follows and e.whole)
            )
            # requiring what the library forbids is rare in a real policy: only a modal right before all the
            # action's words counts ("It is good practice to check their profiles regularly")
            and (position != "forbid" or e.modality != "requires" or (e.lead <= 1 and e.reach <= 16 and e.first))
        ]
        covering = [e for verdict, e in judged if verdict == "covers"]
        if explicit_against:
            best = explicit_against[0]
            # the sentences that say it our way, for the report to weigh against it where one states the same rule
            return Match(action, "contradicts", position, best, tuple(covering[:3]))
        if covering:
            return Match(action, "covers", position, covering[0], tuple(covering[1:3]))
        if permitted_only and position == "allow":
            # "Support workers should not text clients": stricter than our "may", which employers differ on; the
            # document has decided it, so it is reported as its choice, neither a contradiction nor a miss
            stricter = [e for verdict, e in judged if e.modality == "forbids" and e.explicit and e.whole]
            if stricter:
                return Match(action, "covers", "depends", stricter[0], tuple(stricter[1:3]))
        return Match(action, "misses", position, None)
