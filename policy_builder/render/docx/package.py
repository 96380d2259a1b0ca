"""Saving a Word package, with the parts it shares with its template compressed once, not once a document.

A build writes three Word files on one template, and most of each file is the template unchanged: the
bundled one's styles (350 KB of XML), styles-with-effects (440 KB), theme and font table are the same bytes
in every document. python-docx deflates every part on every save; here a part whose bytes are exactly
those of its template's part (compared byte for byte when the document is saved) is written from the
template's deflated bytes, made once a process (or read from the signed cache folder, see template.py).
Every other part is deflated as zipfile would. The zip is written here, not by zipfile, because zipfile
cannot take data already deflated; its headers are zipfile's own (``ZipInfo.FileHeader``).
"""

from __future__ import annotations

import io
import struct
import time
import weakref
import zipfile
import zlib
from collections.abc import Iterable

from docx.document import Document as DocxDocument
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.pkgwriter import PackageWriter

# A member: its name in the zip, its CRC-32, its size, and its bytes deflated (raw, as zip stores them).
Deflated = tuple[int, int, bytes]

_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # zipfile's for a deflated member: made by and needed to extract
_UNIX = 3  # zipfile's "made on": the system byte of the version made by
_MODE = 0o600 << 16  # zipfile's external attributes for a member written with writestr


class _Members:
    """python-docx's PackageWriter writes each member through ``write(pack_uri, blob)``: kept in order."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bytes]] = []

    def write(self, pack_uri: PackURI, blob: bytes) -> None:
        self.members.append((pack_uri.membername, blob))

    def close(self) -> None:
        pass


def members(package: OpcPackage) -> list[tuple[str, bytes]]:
    """Each zip member of the package, named and in the order python-docx's ``Document.save`` writes them.

    The same steps as ``OpcPackage.save`` and ``PackageWriter.write`` (python-docx 1.x), which take only a
    file and zip it themselves; tests/test_render_docx.py checks that the parts are the same as a save's.
    """
    for part in package.parts:
        part.before_marshal()
    writer = _Members()
    parts = list(package.parts)
    PackageWriter._write_content_types_stream(writer, parts)  # its public write() zips to a file itself
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]  # it calls only write(), which _Members has
    return writer.members


def deflate(data: bytes) -> Deflated:
    """``data`` as a zip member stores it: deflated raw, at zlib's default level, as zipfile does."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), compressor.compress(data) + compressor.flush()


# The deflated members of the template each document was opened on (template.open_template says which),
# by their bytes: a document's member is written from here when its bytes are exactly the template's.
_known: weakref.WeakKeyDictionary[OpcPackage, dict[bytes, Deflated]] = weakref.WeakKeyDictionary()


def share(document: DocxDocument, known: dict[bytes, Deflated]) -> None:
    """Save ``document`` with ``known``'s deflated members where its own are the same bytes."""
    _known[document.part.package] = known


def save(document: DocxDocument) -> bytes:
    """The document as .docx bytes, as python-docx's ``Document.save`` writes them (the same members, in the
    same order, deflated alike); a member that is its template's, byte for byte, is not deflated again."""
    package = document.part.package
    known = _known.get(package, {})
    return zip_members((name, known.get(blob) or deflate(blob)) for name, blob in members(package))


def zip_members(items: Iterable[tuple[str, Deflated]]) -> bytes:
    """A zip of deflated members, laid out as zipfile writes one (local headers, central directory, end)."""
    out = io.BytesIO()
    central = []
    now = time.localtime(time.time())[:6]  # zipfile's writestr stamps each member with the time it is written
    for name, (crc, size, data) in items:
        info = _info(name, now, crc, size, len(data))
        offset = out.tell()
        out.write(info.FileHeader(zip64=False))
        out.write(data)
        central.append((info, offset))
    start = out.tell()
    for info, offset in central:
        filename = info.filename.encode("utf-8")
        dosdate = (info.date_time[0] - 1980) << 9 | info.date_time[1] << 5 | info.date_time[2]
        dostime = info.date_time[3] << 11 | info.date_time[4] << 5 | (info.date_time[5] // 2)
        flags = info.flag_bits | (0x800 if not info.filename.isascii() else 0)
        out.write(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _VERSION,
                _UNIX,
                _VERSION,
                0,
                flags,
                info.compress_type,
                dostime,
                dosdate,
                info.CRC,
                info.compress_size,
                info.file_size,
                len(filename),
                0,
                0,
                0,
                0,
                info.external_attr,
                offset,
            )
        )
        out.write(filename)
    size = out.tell() - start
    if len(central) > 0xFFFF:  # pragma: no cover - a Word file of the builder's has a few dozen members
        raise ValueError("more zip members than a zip without ZIP64 holds")
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def _info(name: str, when: tuple[int, ...], crc: int, size: int, compressed: int) -> zipfile.ZipInfo:
    if size > 0xFFFFFFFF or compressed > 0xFFFFFFFF:  # pragma: no cover - parts are limited to 64 MB on reading
        raise ValueError(f"{name}: too large for a zip without ZIP64")
    info = zipfile.ZipInfo(name, date_time=when)  # type: ignore[arg-type]  # six numbers, as zipfile's own
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _MODE
    info.CRC = crc
    info.file_size = size
    info.compress_size = compressed
    info.create_system = _UNIX
    return info  # FileHeader marks a name that is not ASCII as UTF-8, as zipfile does
