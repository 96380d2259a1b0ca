"""Files kept between runs that hold code are signed, and only this user's own are read.

The cache folder holds compiled templates (jinja/: Python code objects, run on the next build) and
library snapshots (library/: JSON, data only, which would still put words in a policy). A file there
that someone rewrote would run their code inside the next build, or change what it says, so (issue 18):

- the folder and its sub-folders must belong to this user and be writable by no one else
  (checked by ``safe_folder``; otherwise the tool keeps no cache at all);
- each file carries an HMAC-SHA256 over its contents and its name, keyed by a random per-user key
  kept in the folder as ``key`` with mode 0600 (a key others could read is replaced by a new one);
  a file without a valid signature is ignored (and rebuilt), so rewriting a cache file, even with
  a matching source checksum, runs nothing;
- a file is read only if it is a regular file (not a link), owned by this user and writable by
  no one else.

The key stops a file planted or edited by anyone who cannot read it; someone who can read your
key can already write your files, and so could change the tool itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

KEY_FILE = "key"
KEY_BYTES = 32
MAGIC = b"policy-builder signed 1\n"
MAX_FILE_BYTES = 256 * 1024 * 1024  # a library snapshot is under 1 MB; anything this size is not ours
_keys: dict[Path, bytes | None] = {}


def _owned_and_private(info: os.stat_result, *, private: bool = False) -> bool:
    """Owned by this user and writable by no one else (readable by no one else, when ``private``)."""
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    others = 0o077 if private else 0o022
    return os.name == "nt" or not info.st_mode & others


def safe_folder(folder: Path) -> bool:
    """True when ``folder`` is a real folder (not a link) this user owns that no one else can write."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _owned_and_private(info)


def signing_key(folder: Path) -> bytes | None:
    """This user's key in ``folder``, made on first use; None when it cannot be trusted or made."""
    if folder in _keys:
        return _keys[folder]
    key = _load_or_make_key(folder / KEY_FILE)
    _keys[folder] = key
    return key


def _load_or_make_key(path: Path) -> bytes | None:
    key = _read_key(path)
    if key is not None:
        return key
    if os.path.lexists(path):
        # Readable by others, not ours, a link or damaged: not a secret any more. A new key makes
        # every file signed with the old one worthless, so all of them are rebuilt.
        try:
            os.unlink(path)
        except OSError:
            return None
    key = secrets.token_bytes(KEY_BYTES)
    # Written whole under another name, then linked into place: another run never sees half a key,
    # and of two runs making one at once, one key wins and both use it.
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".key.", suffix=".tmp")  # mode 0600
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        os.link(temp, path)
    except FileExistsError:
        return _read_key(path)
    except OSError:
        return None
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass
    return key


def _read_key(path: Path) -> bytes | None:
    key = read_private(path, limit=KEY_BYTES, private=True)
    return key if key is not None and len(key) == KEY_BYTES else None


def read_private(path: Path, limit: int = MAX_FILE_BYTES, *, private: bool = False) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link) of this user's that no one else can write."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _owned_and_private(info, private=private) or info.st_size > limit:
            return None
        try:
            data = handle.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None


def _mac(key: bytes, label: str, data: bytes) -> bytes:
    return hmac.new(key, label.encode("utf-8", "surrogateescape") + b"\0" + data, hashlib.sha256).hexdigest().encode()


def seal(folder: Path, label: str, data: bytes) -> bytes | None:
    """``data`` with its signature in front; None when there is no trustworthy key (then keep nothing)."""
    key = signing_key(folder)
    if key is None:
        return None
    return MAGIC + _mac(key, label, data) + b"\n" + data


def unseal(folder: Path, label: str, raw: bytes | None) -> bytes | None:
    """The data ``seal`` signed under ``label``, or None if it is missing, unsigned, altered or moved."""
    if raw is None or not raw.startswith(MAGIC):
        return None
    key = signing_key(folder)
    if key is None:
        return None
    signature, _, data = raw[len(MAGIC) :].partition(b"\n")
    return data if hmac.compare_digest(signature, _mac(key, label, data)) else None


def load(folder: Path, path: Path) -> bytes | None:
    """The signed contents of cache file ``path`` (inside ``folder``), or None if it cannot be trusted."""
    return unseal(folder, _label(folder, path), read_private(path))


def store(folder: Path, path: Path, data: bytes) -> bool:
    """Sign and write cache file ``path`` (0600, replaced whole); False when nothing was kept."""
    sealed = seal(folder, _label(folder, path), data)
    if sealed is None or not safe_folder(path.parent):
        return False
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        os.replace(temp, path)  # readers see the old file or the new one, never half of one
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
        return False
    return True


def _label(folder: Path, path: Path) -> str:
    """What the signature binds a file to: its name inside the cache, so a signed file cannot be moved."""
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.as_posix()


def prune(folder: Path, most: int) -> None:
    """Beyond twice ``most`` files in ``folder``, keep the ``most`` most recently written (best effort)."""
    try:
        entries = list(folder.iterdir())
        if len(entries) <= 2 * most:
            return
        dated = sorted(((entry.stat().st_mtime_ns, entry) for entry in entries), reverse=True)
    except OSError:
        return
    for _, entry in dated[most:]:
        try:
            entry.unlink()
        except OSError:
            pass


def keyed_path(folder: Path, subfolder: str, kind: str, text: str, *, package: str, code: str) -> Path | None:
    """Where a file made from ``text`` is kept: named by a hash of the text and of everything that made it
    (the file format ``kind``, Python's version, the installed ``package``'s folder time, which installing or
    upgrading it changes, and the size and time of the ``code`` file that reads it); None when any of those
    cannot be found (then nothing is kept)."""
    import importlib.util
    import sys

    try:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            return None
        installed = Path(spec.origin).parent.parent.stat().st_mtime_ns
        made_by = Path(code).stat()
    except (OSError, ImportError, ValueError):
        return None
    digest = hashlib.sha256()
    for part in (kind, sys.version, str(installed), str(made_by.st_size), str(made_by.st_mtime_ns)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(text.encode("utf-8", "surrogateescape"))
    return folder / subfolder / f"{digest.hexdigest()[:40]}.json"
