"""No code from an unverified cache (issue 18): a rewritten cache file is ignored, never run.

The compiled-template cache (jinja/) holds Python code objects, which run when read; the library
snapshot (library/) is JSON, data only, that would still put words in a policy. Every file is signed
with a per-user key; unsigned, altered, foreign or planted files are ignored and rebuilt, and a
folder others can write is not used at all.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import copy_library
from conftest import forget_caches as forget
from jinja2.bccache import Bucket

from policy_builder.content.library import SNAPSHOT_SUFFIX, load_library
from policy_builder.core import signed_cache, templating

SOURCE = "Staff must ask {{ 'first' }}."
# The library the planted-file tests load four times each, mostly afresh from its YAML: one section and every
# other file, so each load costs a fifth of the whole library's; its snapshot and code bundle are made as any is.
ONE_SECTION = ("01-purpose.yaml",)


def payload_code(marker: Path) -> object:
    """Python that leaves ``marker`` behind when it runs: what an attacker would put in a cache file."""
    return compile(
        f"open({str(marker)!r}, 'w').write('ran')\nroot = None\nblocks = {{}}\ndebug_info = ''\n", "x", "exec"
    )


def jinja_files(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "jinja").iterdir() if not p.name.startswith("."))


def test_a_rewritten_compiled_template_with_a_matching_checksum_is_ignored(cache, tmp_path, monkeypatch):
    assert templating.compile_template(SOURCE, "tamper").render() == "Staff must ask first."
    [path] = jinja_files(cache)
    assert path.read_bytes().startswith(signed_cache.MAGIC)
    assert (path.stat().st_mode & 0o777) == 0o600 and ((cache / "key").stat().st_mode & 0o777) == 0o600
    marker = tmp_path / "ran"
    # The attack from issue 18: Jinja's own format, the source checksum right, the code the attacker's.
    bucket = Bucket(templating.ENV, "tamper", "")
    bucket.checksum = hashlib.sha1(SOURCE.encode("utf-8")).hexdigest()  # Jinja's get_source_checksum
    bucket.code = payload_code(marker)
    forged = bucket.bytecode_to_string()
    signed_with_another_key = signed_cache.MAGIC + b"0" * 64 + b"\n" + forged
    for content in (forged, signed_with_another_key, path.read_bytes()[:-5] + b"xxxxx"):
        path.write_bytes(content)
        forget(monkeypatch)
        assert templating.compile_template(SOURCE, "tamper").render() == "Staff must ask first."
        assert not marker.exists(), "code from a tampered cache file ran"
        assert signed_cache.load(cache, path) is not None  # compiled afresh and signed again


def test_a_signed_file_moved_to_another_name_is_ignored(cache, monkeypatch):
    templating.compile_template(SOURCE, "one")
    templating.compile_template("Other {{ 'text' }}.", "two")
    first, second = jinja_files(cache)
    shutil.copyfile(first, second)
    assert signed_cache.load(cache, second) is None


def test_a_planted_library_snapshot_is_never_unpickled(cache, tmp_path, monkeypatch):
    clauses = copy_library(tmp_path / "clauses", *ONE_SECTION)
    load_library(clauses)
    [path] = sorted((cache / "library").glob("*" + SNAPSHOT_SUFFIX))
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):  # what pickle runs on load
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Payload())
    label = "library/" + path.name
    # Unsigned; a forged signature; and even signed with this user's own key: a snapshot is JSON, never unpickled.
    for content in (
        payload,
        signed_cache.MAGIC + b"f" * 64 + b"\n" + payload,
        signed_cache.seal(cache, label, payload),
    ):
        path.write_bytes(content)
        forget(monkeypatch)
        library = load_library(clauses)
        assert not marker.exists(), "a planted snapshot was unpickled"
        assert library.sections and signed_cache.load(cache, path) is not None  # read afresh, kept signed


def test_a_planted_library_code_bundle_is_never_run(cache, tmp_path, monkeypatch):
    """The compiled code of a library's templates, kept in one jinja/ file, is read only when signed."""
    clauses = copy_library(tmp_path / "clauses", *ONE_SECTION)
    load_library(clauses)
    [bundle] = sorted((cache / "jinja").glob("library-*.code"))
    head, key, _code = signed_cache.load(cache, bundle).split(b"\n", 2)
    marker = tmp_path / "ran"
    # Every template and condition of the library replaced by the attacker's code, format and key right.
    forget(monkeypatch)
    fresh = load_library(clauses)  # from the snapshot: the templates' (name, source) pairs
    pairs = {source for source in fresh._template_sources.values()}
    planted = b"\n".join([head, key, marshal.dumps({pair: payload_code(marker) for pair in pairs})])
    for content in (planted, signed_cache.MAGIC + b"0" * 64 + b"\n" + planted):  # unsigned; signed with another key
        bundle.write_bytes(content)
        forget(monkeypatch)
        library = load_library(clauses)
        for name in library.templates:
            library.templates[name]  # every template made, from its own jinja/ file or compiled
        assert not marker.exists(), "code from a planted bundle ran"
        assert signed_cache.load(cache, bundle).startswith(head + b"\n" + key)  # read afresh and kept again


def test_a_cache_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(templating.CACHE_ENV, str(shared))
    forget(monkeypatch)
    assert templating.cache_folder() is None
    assert templating.compile_template(SOURCE, "shared").render() == "Staff must ask first."
    assert not (shared / "key").exists() and not any((shared / "jinja").iterdir())


def test_a_key_others_can_read_or_a_linked_cache_file_is_not_trusted(cache, monkeypatch):
    templating.compile_template(SOURCE, "key")
    [path] = jinja_files(cache)
    link = path.with_name("link")
    link.symlink_to(path)
    assert signed_cache.read_private(link) is None
    path.chmod(0o666)
    assert signed_cache.load(cache, path) is None  # writable by others: not read
    path.chmod(0o600)
    assert signed_cache.load(cache, path) is not None
    old_key = (cache / "key").read_bytes()
    (cache / "key").chmod(0o644)  # others could have read it: no longer a secret
    forget(monkeypatch)
    assert templating.cache_folder() == cache
    assert (cache / "key").read_bytes() != old_key and ((cache / "key").stat().st_mode & 0o777) == 0o600
    assert signed_cache.load(cache, path) is None  # signed with the old key: ignored, and rebuilt when used


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_a_compiled_template_owned_by_someone_else_is_not_read(cache, monkeypatch):
    templating.compile_template(SOURCE, "owner")
    [path] = jinja_files(cache)
    os.chown(path, os.getuid() + 4242, -1)
    assert signed_cache.load(cache, path) is None
    forget(monkeypatch)
    assert templating.compile_template(SOURCE, "owner").render() == "Staff must ask first."
    assert path.stat().st_uid == os.getuid()  # replaced by this user's own
