"""One reader for everything the tool reads back: manifests, front matter, the manifest inside a .docx.

`changes`, `check` and `build --previous` read files a person hands them, which may be damaged,
edited by hand, huge or not files at all. Everything goes through here, in this order, so each
problem is one line naming the file and the field, before any memory or time is spent:

1. the path is a regular file (a FIFO would block for ever, a device never ends, a folder
   cannot be read): checked on the open file, without waiting on it;
2. its size is within a limit, checked from the file system (or a zip member's declared size,
   and its compression ratio) before a byte is read, and the read itself is capped;
3. the text is UTF-8 and nests no deeper than a manifest ever does;
4. the data matches a JSON Schema, whose errors carry the path of the field that is wrong.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from policy_builder.core.errors import SourceError, os_reason
from policy_builder.core.schema import field_name, first_problem

MB = 1024 * 1024
# The example council's manifest is about 120 KB and its Markdown policy 90 KB; 8 MB is far beyond any real
# policy and far below what would hurt.
MAX_MANIFEST_BYTES = 8 * MB
MAX_MARKDOWN_BYTES = 8 * MB
# The manifest part of a .docx is the manifest, XML-escaped (quotes become &quot;): at most about twice as long.
MAX_PART_BYTES = 2 * MAX_MANIFEST_BYTES
# Deflate manages about 1:1000 at best; JSON text compresses 1:5 to 1:20. A part that claims more than 1:200 is
# a zip bomb, not a manifest.
MAX_RATIO = 200
# A policy .docx is about 70 KB, a house template with logos a few MB. Each member of a zip costs
# memory as soon as it is opened (its directory entry is read into a Python object), so both are capped.
MAX_DOCX_BYTES = 64 * MB
MAX_ZIP_ENTRIES = 5000
MAX_DEPTH = 32  # a manifest nests 4 deep (clauses[0].rules...), an answer 2


class ReadBackError(SourceError):
    """A file read back (a manifest, an issued policy) that cannot be used; one line naming file and field."""


def _fail(path: Path, message: str) -> ReadBackError:
    return ReadBackError(path, None, message)


_KIND_OF_FILE = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a file; give the path of a saved policy or manifest"),
    (stat.S_ISCHR, "is a device, not a file"),
    (stat.S_ISBLK, "is a device, not a file"),
    (stat.S_ISSOCK, "is a socket, not a file"),
)


def open_regular(path: Path, limit: int, what: str) -> BinaryIO:
    """``path`` opened for reading, once it is known to be a regular file of at most ``limit`` bytes.

    O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer that may never come; on a
    regular file the flag changes nothing.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot read the file ({os_reason(exc) if isinstance(exc, OSError) else exc})") from None
    _refuse_irregular(path, info.st_mode)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _fail(path, f"cannot read the file ({os_reason(exc)})") from None
    handle = os.fdopen(fd, "rb")
    info = os.fstat(fd)  # the file opened, which may not be the one looked at a moment ago
    try:
        _refuse_irregular(path, info.st_mode)
        if info.st_size > limit:
            raise _fail(path, f"is {_size(info.st_size)}; {what} is at most {_size(limit)}")
    except ReadBackError:
        handle.close()
        raise
    return handle


def _refuse_irregular(path: Path, mode: int) -> None:
    for test, message in _KIND_OF_FILE:
        if test(mode):
            raise _fail(path, message)
    if not stat.S_ISREG(mode):
        raise _fail(path, "is not a regular file")


def _size(count: int) -> str:
    return f"{count / MB:.1f} MB" if count >= MB else f"{count // 1024} KB"


def read_bytes(path: Path, limit: int, what: str) -> bytes:
    with open_regular(path, limit, what) as handle:
        try:
            raw = handle.read(limit + 1)  # capped: a file that grows after the check is still not read whole
        except OSError as exc:
            raise _fail(path, f"cannot read the file ({os_reason(exc)})") from None
    if len(raw) > limit:
        raise _fail(path, f"is over {_size(limit)}; {what} is at most {_size(limit)}")
    return raw


def decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (Notepad writes one) is not part of the text
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReadBackError(path, line, "is not UTF-8 text; save it as UTF-8") from None


def read_text(path: Path, limit: int, what: str) -> str:
    return decode(path, read_bytes(path, limit, what))


def read_zip_members(
    path: Path, choose: Callable[[list[str]], Iterable[str]], limit: int = MAX_PART_BYTES
) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each member ``choose`` picks from the names in the zip at ``path``, in its order.

    A member is refused by its declared size and ratio before it is inflated, and the inflating is
    capped, so neither a lying header nor a bomb costs more than ``limit`` bytes of memory.
    """
    with open_regular(path, MAX_DOCX_BYTES, "a Word document") as handle:
        entries = _declared_entries(handle)
        if entries is not None and entries > MAX_ZIP_ENTRIES:
            raise _fail(path, f"holds {entries} parts; a Word document has a few dozen (at most {MAX_ZIP_ENTRIES})")
        try:
            package = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _fail(path, "is not a Word document (.docx): it cannot be opened as one") from None
        with package:
            members = {info.filename: info for info in package.infolist()}
            for name in choose(list(members)):
                info = members.get(name)
                if info is None:
                    continue
                where = f"its part {name}"
                if info.file_size > limit:
                    raise _fail(
                        path, f"{where} says it is {_size(info.file_size)}; a manifest is at most {_size(limit)}"
                    )
                if info.file_size > MB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise _fail(
                        path,
                        f"{where} would inflate {info.file_size // max(info.compress_size, 1)} times "
                        f"(at most {MAX_RATIO}); the file is damaged or made to exhaust memory",
                    )
                try:
                    with package.open(info) as member:
                        data = member.read(limit + 1)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                    raise _fail(path, f"{where} cannot be read ({exc})") from None
                except RuntimeError:  # an encrypted member
                    raise _fail(path, f"{where} is encrypted") from None
                if len(data) > limit:
                    raise _fail(path, f"{where} is over {_size(limit)}; a manifest is at most {_size(limit)}")
                yield name, data


def read_word_package(path: Path) -> bytes:
    """A whole .docx to check, refused before any part is inflated if it is not a regular file, is over
    MAX_DOCX_BYTES, lists more than MAX_ZIP_ENTRIES parts, or holds a part that says it inflates past
    MAX_DOCX_BYTES or more than MAX_RATIO times (python-docx inflates every part it opens)."""
    data = read_bytes(path, MAX_DOCX_BYTES, "a Word document")
    handle = io.BytesIO(data)
    entries = _declared_entries(handle)
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        raise _fail(path, f"holds {entries} parts; a Word document has a few dozen (at most {MAX_ZIP_ENTRIES})")
    try:
        with zipfile.ZipFile(handle) as package:
            for info in package.infolist():
                where = f"its part {info.filename}"
                if info.file_size > MAX_DOCX_BYTES:
                    raise _fail(path, f"{where} says it is {_size(info.file_size)}; at most {_size(MAX_DOCX_BYTES)}")
                if info.file_size > MB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise _fail(
                        path,
                        f"{where} would inflate {info.file_size // max(info.compress_size, 1)} times "
                        f"(at most {MAX_RATIO}); the file is damaged or made to exhaust memory",
                    )
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # not a zip at all: check-docx's own reader says so in its words
    return data


def _declared_entries(handle: BinaryIO) -> int | None:
    """How many members a zip's end record says it holds, read before zipfile lists them all in memory.

    None when there is no end record (zipfile then says it is not a zip). 0xFFFF means a ZIP64 count:
    more than any Word document holds, so it is returned as is.
    """
    try:
        size = handle.seek(0, os.SEEK_END)
        start = max(0, size - 22 - 65535)  # the end record, after a comment of up to 64 KB
        handle.seek(start)
        tail = handle.read()
        handle.seek(0)
    except OSError:
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def plain(data: Any, path: Path, max_depth: int = MAX_DEPTH) -> Any:
    """``data`` with dates as text (YAML front matter written by hand), refused past ``max_depth`` levels.

    Walked without recursion, so even data nested thousands deep is measured, not a RecursionError.
    """
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, tuple[Any, ...]]] = [(root, 0, ())]
    while stack:
        parent, key, keys = stack.pop()
        value = parent[key]
        if len(keys) > max_depth:
            raise _fail(path, f"{field_name(keys[:max_depth])}: nested more than {max_depth} levels deep")
        if isinstance(value, dt.date):
            parent[key] = value.isoformat()
        elif isinstance(value, dict):
            stack.extend((value, k, (*keys, k)) for k in value)
        elif isinstance(value, list):
            stack.extend((value, i, (*keys, i)) for i in range(len(value)))
    return root[0]


# --- the schema ------------------------------------------------------------------------------


def validate(data: Any, schema: dict[str, Any], path: Path, *, advice: str = "") -> None:
    """Raise ReadBackError naming the first field of ``data`` that ``schema`` does not allow."""
    found = first_problem(data, schema)
    if found is not None:
        keys, problem = found
        raise _fail(path, f"{field_name(keys)}: {problem}{advice}")
