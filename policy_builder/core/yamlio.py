"""Safe YAML loading that keeps line numbers for messages.

PyYAML's safe loader forgets where values came from and lets a repeated key
silently win. We compose the node tree ourselves so every mapping key keeps its
line, and a duplicate key is an error a person sees.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.core.errors import SourceError, os_reason

if TYPE_CHECKING:
    import yaml

MAX_FILE_BYTES = 2 * 1024 * 1024  # profiles and clause files are a few KB
MAX_DEPTH = 40


@dataclass
class Document:
    """Plain Python data plus the line of every key path, for messages."""

    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    block_scalars: set[tuple[Any, ...]] = field(default_factory=set)  # `|` or `>` text: starts on the next line
    # The text as written of each unquoted value YAML 1.1 turned into a number or date (1.10 -> 1.1,
    # 010 -> 8, 1:20 -> 80, 0x1F -> 31): a free-text answer must keep what the user typed.
    plain_text: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def as_typed(self, value: Any, *keys: Any) -> Any:
        """``value``, or the text as written when YAML read an unquoted number or date there."""
        if isinstance(value, bool) or value is None:
            return value
        return self.plain_text.get(tuple(keys), value)

    def text_start(self, *keys: Any) -> int | None:
        """The line a text value's first line is on (the line after the key for `|` and `>` text)."""
        line = self.line(*keys)
        return line + 1 if line is not None and tuple(keys) in self.block_scalars else line

    def line(self, *keys: Any) -> int | None:
        """The line of the deepest known prefix of ``keys``."""
        for end in range(len(keys), -1, -1):
            line = self.lines.get(tuple(keys[:end]))
            if line is not None:
                return line
        return None


def read_text(path: Path, error: type[SourceError] = SourceError, *, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text; refused over ``limit`` bytes (a file that grows with the library passes its own)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(path, None, "file not found") from None
    except OSError as exc:
        raise error(path, None, f"cannot read the file ({os_reason(exc)})") from None
    if path.is_dir():
        raise error(path, None, "is a folder, not a YAML file")
    if size > limit:
        raise error(path, None, f"file is {size // 1024} KB; the most allowed is {limit // 1024} KB")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(path, None, "is UTF-16 text; save it as UTF-8")
    if b"\x00" in raw:
        raise error(path, None, "is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(path, line, "is not UTF-8 text; save it as UTF-8") from None


# libyaml's composer recurses in C with no depth check (thousands of levels crash the process),
# so it only reads trusted library files whose nesting libyaml's parser, which does not recurse,
# has measured first; profiles always take the pure-Python path.
# PyYAML is imported when YAML is first read (about 20 ms): a build whose library and profile were read
# before (the library snapshot, `load_kept`) reads none.
@functools.cache
def _c_loader() -> type[yaml.CSafeLoader] | None:
    import yaml

    return getattr(yaml, "CSafeLoader", None)


def _shallow(text: str) -> bool:
    """True when the text parses and no collection is nested more than MAX_DEPTH deep."""
    import yaml

    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_c_loader() or yaml.SafeLoader):
            if isinstance(event, starts):
                depth += 1
                if depth > MAX_DEPTH:
                    return False
            elif isinstance(event, ends):
                depth -= 1
    except yaml.YAMLError:
        return False
    return True


def load(
    path: str | Path, error: type[SourceError] = SourceError, *, trusted: bool = False, limit: int = MAX_FILE_BYTES
) -> Document:
    """Load one YAML file safely, keeping key lines; errors name path and line.

    ``trusted`` (the clause library) composes with libyaml when it is available,
    about ten times faster; any problem is re-read the pure-Python way so the
    message is the same. ``limit``: the most bytes allowed (default MAX_FILE_BYTES).
    """
    path = Path(path)
    return loads(read_text(path, error, limit=limit), path, error, trusted=trusted)


def loads(
    text: str, path: Path, error: type[SourceError] = SourceError, *, trusted: bool = False, first_line: int = 1
) -> Document:
    """Like load, for text already read from ``path`` (front matter, say), starting on ``first_line`` of it."""
    text = "\n" * (first_line - 1) + text  # so every line number is the file's
    key = (hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest(), trusted)
    with _read_before_lock:
        kept = _read_before.get(key)
        if kept is not None:
            _read_before.move_to_end(key)
    if kept is not None:
        data, lines, block_scalars, plain_text = pickle.loads(kept)
        return Document(path, data, lines, block_scalars, plain_text)
    doc = _compose(text, path, error, trusted)
    _remember(key, pickle.dumps((doc.data, doc.lines, doc.block_scalars, doc.plain_text), pickle.HIGHEST_PROTOCOL))
    return doc


# What `loads` made of a text it read before, in this process, by a hash of the text: a process that reads the
# same text again (a library reloaded after one file changed, by `watch` or a test; the same profile in a batch
# or a server) composes only what is new. Pickled here and unpickled for each caller, so every caller has values
# of its own to change; the bytes are this process's own, never read from anywhere. Only a text that read
# without a problem is kept, so every message about a file is the composer's own, every time.
_read_before: OrderedDict[tuple[bytes, bool], bytes] = OrderedDict()
_read_before_lock = threading.Lock()
_READ_BEFORE_MOST = 32 * 1024 * 1024  # bytes kept; the bundled library reads to about 1 MB
_read_before_size = 0


def _remember(key: tuple[bytes, bool], kept: bytes) -> None:
    global _read_before_size
    with _read_before_lock:
        if key in _read_before or len(kept) > _READ_BEFORE_MOST // 4:
            return
        _read_before[key] = kept
        _read_before_size += len(kept)
        while _read_before_size > _READ_BEFORE_MOST:
            _, oldest = _read_before.popitem(last=False)
            _read_before_size -= len(oldest)


def _compose(text: str, path: Path, error: type[SourceError], trusted: bool) -> Document:
    """The node tree of ``text`` composed and read into a Document (loads without what was read before)."""
    import yaml

    c_loader = _c_loader() if trusted else None
    if c_loader is not None and _shallow(text):
        fast = None
        try:
            fast = c_loader(text)
            node = fast.get_single_node()
        except (yaml.YAMLError, RecursionError):
            node = None
        else:
            doc = Document(path=path, data=None)
            if node is not None:
                doc.data = _construct(node, (), doc, error, 0, set())
            return doc
        finally:
            if fast is not None:
                fast.dispose()
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        line, problem = _explain(exc, text)
        raise error(path, line, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # A control character typed or pasted into the file; PyYAML's own message spans lines.
        line = text.count("\n", 0, exc.position) + 1
        raise error(path, line, f"character U+{exc.character:04X} is not allowed in YAML; delete it") from None
    except yaml.YAMLError as exc:
        raise error(path, None, "YAML syntax error: " + " ".join(str(exc).split())) from None
    except RecursionError:
        # PyYAML composes nested collections recursively; thousands of levels exhaust the stack.
        line = loader.line + 1 if loader else None
        raise error(path, line, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    doc = Document(path=path, data=None)
    if node is None:
        return doc
    doc.data = _construct(node, (), doc, error, 0, set())
    return doc


def _explain(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """PyYAML's parser wording -> (line, what a person should do)."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    context_line = exc.context_mark.line + 1 if exc.context_mark else line
    if "\t" in problem or (mark and "\t" in _line_of(text, mark.line)):
        return line, "a tab character is not allowed for indenting YAML; use spaces"
    if context == "expected a single document in the stream":
        return line, "the file must hold one YAML document; remove the second '---'"
    if context.startswith("while parsing a flow sequence"):
        return line, f"the list opened with '[' on line {context_line} is not closed with ']'"
    if context.startswith("while parsing a flow mapping"):
        return line, f"the mapping opened with '{{' on line {context_line} is not closed with '}}'"
    if context.startswith("while scanning a quoted scalar"):
        return line, f"the quotation mark opened on line {context_line} is not closed"
    return line, " ".join(problem.split())


def _line_of(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


# One scalar constructor per thread: it keeps per-call state (the nodes being built), so a loader shared by
# the browser wizard's request threads failed under parallel uploads (issue 18: 20-29 HTTP 500s in 300).
_local = threading.local()


def _scalar_loader() -> yaml.SafeLoader:
    import yaml

    loader: yaml.SafeLoader | None = getattr(_local, "loader", None)
    if loader is None:
        loader = _local.loader = yaml.SafeLoader("")
    return loader


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# The plain scalars; !!binary (bytes), !!set, !!omap and the rest would hand the tool values no answer can be.
_SCALAR_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_CONVERTED_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


def _construct(
    node: yaml.Node, keys: tuple[Any, ...], doc: Document, error: type[SourceError], depth: int, seen: set[int]
) -> Any:
    import yaml

    line = node.start_mark.line + 1
    doc.lines.setdefault(keys, line)
    if depth > MAX_DEPTH:
        raise error(doc.path, line, f"nested more than {MAX_DEPTH} levels deep")
    # An alias is the same node met twice; nine nested aliases of nine items make a billion values.
    if id(node) in seen:
        # The node's own line is the anchor's; the alias is under the nearest key.
        named = [i for i, k in enumerate(keys, 1) if not isinstance(k, int)]
        where = doc.lines.get(keys[: named[-1]]) if named else line
        raise error(doc.path, where, "YAML aliases (*name) are not allowed; write the value out in full")
    seen.add(id(node))
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise error(doc.path, line, f"the tag {node.tag} is not allowed (only plain YAML values are)")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise error(doc.path, key_node.start_mark.line + 1, "YAML merge keys (<<) are not allowed")
            key = _construct(key_node, keys, doc, error, depth + 1, seen)
            if isinstance(key, (list, dict)):
                raise error(doc.path, key_node.start_mark.line + 1, "a key must be plain text")
            if key in result:
                first = doc.lines.get(keys + (key,))
                raise error(
                    doc.path,
                    key_node.start_mark.line + 1,
                    f"'{_dotted(keys, key)}' appears twice (first on line {first}); keep one",
                )
            doc.lines[keys + (key,)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, keys + (key,), doc, error, depth + 1, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[keys + (index,)] = item.start_mark.line + 1
            items.append(_construct(item, keys + (index,), doc, error, depth + 1, seen))
        return items
    assert isinstance(node, yaml.ScalarNode)  # the composer makes mappings, sequences and scalars only
    if node.style in ("|", ">"):
        doc.block_scalars.add(keys)
    if node.tag not in _SCALAR_TAGS and not node.tag.startswith("tag:yaml.org,2002:python"):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise error(doc.path, line, f"the tag {tag} is not allowed (only plain YAML values are)")
    if node.tag in _CONVERTED_TAGS and node.style is None and keys:
        doc.plain_text[keys] = node.value
    scalars = _scalar_loader()
    try:
        value = scalars.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problem = exc.problem or "value cannot be read"
        if node.tag.startswith("tag:yaml.org,2002:python") or "could not determine a constructor" in problem:
            problem = f"the tag {node.tag} is not allowed (only plain YAML values are)"
        raise error(doc.path, line, problem) from None
    except ValueError as exc:
        if node.tag == "tag:yaml.org,2002:timestamp":
            where = "".join(f"{k}." for k in keys if not isinstance(k, int))[:-1]
            prefix = f"{where}: " if where else ""
            raise error(
                doc.path, line, f"{prefix}{node.value} is not a real date ({exc}); write a date as YYYY-MM-DD"
            ) from None
        if "int_max_str_digits" in str(exc):  # Python's advice (sys.set_int_max_str_digits) is for programmers
            raise error(doc.path, line, "a number thousands of digits long; no answer needs one") from None
        raise error(doc.path, line, f"value cannot be read: {exc}") from None
    finally:
        # The constructor caches every node it builds; this loader lives as long as the process, so forget them.
        scalars.constructed_objects.clear()
        scalars.recursive_objects.clear()
    return value


def _dotted(keys: tuple[Any, ...], key: Any) -> str:
    return ".".join(str(k) for k in (*keys, key) if not isinstance(k, int))


def dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# --- a YAML file read before, kept between runs ----------------------------------------------------
#
# What `loads` made of a profile (its values, the line of every key, ...) is kept in the cache folder
# (yaml/, see templating.cache_folder) as JSON, plain values only, tagged where JSON has no type of its own
# (a list, a mapping with any keys, a date), keyed by a hash of the file's text, this code and PyYAML's,
# and signed (signed_cache): a file someone else wrote or changed is ignored. Only a file that read without
# a problem is kept, so every message about a file is `loads`'s own, every time.

KEPT_FORMAT = "policy-builder kept YAML 1 (JSON)"
KEPT_FOLDER = "yaml"
KEPT_MOST = 200  # files (a batch of many profiles keeps one each); beyond twice this, the oldest go


def load_kept(path: str | Path, error: type[SourceError] = SourceError) -> Document:
    """`load` (untrusted: a profile), through what it made of these very bytes on an earlier run."""
    path = Path(path)
    text = read_text(path, error)
    kept_at = _kept_path(text)
    doc = _read_kept(kept_at, path) if kept_at is not None else None
    if doc is None:
        doc = loads(text, path, error)
        if kept_at is not None:
            _keep(kept_at, doc)
    return doc


def _kept_path(text: str) -> Path | None:
    from policy_builder.core.signed_cache import keyed_path
    from policy_builder.core.templating import cache_folder

    folder = cache_folder()
    if folder is None:
        return None
    return keyed_path(folder, KEPT_FOLDER, KEPT_FORMAT, text, package="yaml", code=__file__)


def _to_plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list:
        return {"l": [_to_plain(item) for item in value]}
    if kind is tuple:
        return {"u": [_to_plain(item) for item in value]}
    if kind is dict:
        return {"m": [[_to_plain(key), _to_plain(item)] for key, item in value.items()]}
    if kind is dt.date:
        return {"d": value.isoformat()}
    if kind is dt.datetime:
        return {"t": value.isoformat()}
    raise ValueError(f"no kept form for {kind.__name__}")


def _from_plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is not dict or len(value) != 1:
        raise ValueError("not a kept value")
    ((tag, inner),) = value.items()
    if tag in ("l", "u", "m") and type(inner) is not list:
        raise ValueError("not a kept list")
    if tag == "l":
        return [_from_plain(item) for item in inner]
    if tag == "u":
        return tuple(_from_plain(item) for item in inner)
    if tag == "m":
        pairs = [pair for pair in inner if type(pair) is list and len(pair) == 2]
        if len(pairs) != len(inner):
            raise ValueError("not a kept mapping")
        return {_from_plain(key): _from_plain(item) for key, item in pairs}
    if tag in ("d", "t") and type(inner) is str:
        return dt.date.fromisoformat(inner) if tag == "d" else dt.datetime.fromisoformat(inner)
    raise ValueError("not a kept value")


def _keep(kept_at: Path, doc: Document) -> None:
    """Keep what a file read to (best effort: a cache that cannot be written is simply not kept)."""
    import json

    from policy_builder.core import signed_cache

    try:
        data = json.dumps(
            {
                "format": KEPT_FORMAT,
                "data": _to_plain(doc.data),
                "lines": [[_to_plain(keys), line] for keys, line in doc.lines.items()],
                "block_scalars": [_to_plain(keys) for keys in doc.block_scalars],
                "plain_text": [[_to_plain(keys), text] for keys, text in doc.plain_text.items()],
            },
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        ).encode("utf-8")
        kept_at.parent.mkdir(mode=0o700, exist_ok=True)
    except (ValueError, OSError):  # a value with no kept form (an infinite number), text UTF-8 cannot hold
        return
    if signed_cache.store(kept_at.parent.parent, kept_at, data):
        signed_cache.prune(kept_at.parent, KEPT_MOST)


def _read_kept(kept_at: Path, path: Path) -> Document | None:
    """What the file at ``path`` read to before, or None: missing, unsigned, altered or odd files are ignored."""
    import json

    from policy_builder.core import signed_cache

    raw = signed_cache.load(kept_at.parent.parent, kept_at)
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        if type(stored) is not dict or stored.get("format") != KEPT_FORMAT:
            return None
        doc = Document(path=path, data=_from_plain(stored["data"]))
        for keys, line in stored["lines"]:
            doc.lines[_keys(keys)] = line if type(line) is int else _odd()
        doc.block_scalars.update(_keys(keys) for keys in stored["block_scalars"])
        for keys, text in stored["plain_text"]:
            doc.plain_text[_keys(keys)] = text if type(text) is str else _odd()
    except (ValueError, TypeError, KeyError, RecursionError):  # JSON errors are ValueErrors; unhashable keys
        return None
    return doc


def _keys(value: Any) -> tuple[Any, ...]:
    keys = _from_plain(value)
    if type(keys) is not tuple:
        raise ValueError("not a key path")
    return keys


def _odd() -> Any:
    raise ValueError("not a kept value")
