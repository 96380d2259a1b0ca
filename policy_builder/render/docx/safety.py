"""What a Word package may not carry into a policy: content fetched from elsewhere, and unsafe XML.

An employer's reference template is copied into every policy built on it. A template can make Word
reach outside the file when the policy is opened: an attached-template link (settings.xml.rels),
an external relationship (a linked picture, an OLE link, a mail-merge data source, a frame), or a
field that fetches content (INCLUDETEXT, INCLUDEPICTURE, LINK, DDE, DDEAUTO). Any of these would
send every reader's machine to a server or share of the template author's choosing.

- `scan` lists what a package holds of these (check-docx reports them in a finished file);
- `sanitise` makes a template safe to build on: the attached-template link, which Word writes into
  most documents on its own (the author's Normal.dotm), is removed; anything else is refused in one
  line naming the template, the part and what was found, because removing a linked picture or a
  field would leave a header the employer did not design.

Every XML part is parsed with a parser that expands no entity, loads no DTD and reaches no network;
Word never writes a DOCTYPE, so a part that declares one is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from lxml import etree

from policy_builder.core.errors import PolicyBuilderError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
ATTACHED_TEMPLATE = R + "/attachedTemplate"
HYPERLINK = R + "/hyperlink"
# Fields whose result Word fetches from a file, a URL or another program when it updates them.
FETCHING_FIELDS = frozenset({"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT", "LINK", "DDE", "DDEAUTO"})
# A hyperlink is only followed when the reader clicks it; these schemes go nowhere on their own.
SAFE_LINK = re.compile(r"(?i)^(https?:|mailto:|#)")
_FIELD_NAME = re.compile(r"\s*([A-Za-z]+)")
# Parts a policy never needs, whatever they point at: embedded objects and programs (OLE objects, packages,
# ActiveX controls, macros) and altChunks (HTML or another document merged in when Word opens the file).
EMBEDDED = {
    "aFChunk": "an altChunk (HTML or another document Word merges in when it opens the file)",
    "oleObject": "an embedded OLE object",
    "package": "an embedded package (a file inside the document)",
    "control": "an ActiveX control",
    "activeXControlBinary": "an ActiveX control",
    "vbaProject": "a macro project",
    "vbaData": "macro data",
}


@dataclass(frozen=True)
class Finding:
    """One thing in a package that reaches outside it: the part it is in, and what it is."""

    part: str
    what: str
    kind: str  # "attached-template" (sanitise drops it), "relationship" or "field"

    def __str__(self) -> str:
        return f"{self.part}: {self.what}"


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no entity expansion, no DTD, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_part(data: bytes, part: str, name: str) -> etree._Element:
    """One XML part, parsed safely; a DOCTYPE or malformed XML is one line naming the file and part."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        reason = str(exc).split(" (")[0][:100]
        raise PolicyBuilderError(
            f"{name}: {part} is not well-formed XML ({reason}); open the file in Word and save it again"
        ) from None
    if getattr(root.getroottree().docinfo, "doctype", None):
        raise PolicyBuilderError(
            f"{name}: {part} declares a DOCTYPE, which Word never writes and could expand entities; "
            "open the file in Word and save it again"
        )
    return root


def _short(target: str) -> str:
    return target if len(target) <= 80 else target[:77] + "..."


def _rels_findings(part: str, root: etree._Element) -> list[Finding]:
    found = []
    for rel in root.iter(f"{{{PACKAGE_RELS}}}Relationship"):
        kind, target = rel.get("Type", ""), rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            embedded = EMBEDDED.get(kind.rsplit("/", 1)[-1])
            if embedded:
                found.append(Finding(part, f"{embedded} ({_short(target)})", "relationship"))
            continue
        if kind == ATTACHED_TEMPLATE:
            found.append(Finding(part, f"a link to an attached template ({_short(target)})", "attached-template"))
        elif kind == HYPERLINK and SAFE_LINK.match(target):
            continue
        elif kind == HYPERLINK:
            found.append(
                Finding(part, f"a link to '{_short(target)}', which is not a web or email address", "relationship")
            )
        else:
            name = kind.rsplit("/", 1)[-1]
            what = f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name} fetched from outside the file ({_short(target)})"
            found.append(Finding(part, what, "relationship"))
    return found


def _field_findings(part: str, root: etree._Element) -> list[Finding]:
    """Fields that fetch content: simple fields, and complex ones whose code may span several runs."""
    codes: list[str] = []
    stack: list[list[str]] = []
    for element in root.iter(f"{{{W}}}fldSimple", f"{{{W}}}fldChar", f"{{{W}}}instrText"):
        tag = etree.QName(element).localname
        if tag == "fldSimple":
            codes.append(element.get(f"{{{W}}}instr") or "")
        elif tag == "instrText":
            if stack:
                stack[-1].append(element.text or "")
            else:  # a field code outside begin/separate: Word still reads it
                codes.append(element.text or "")
        else:
            kind = element.get(f"{{{W}}}fldCharType")
            if kind == "begin":
                stack.append([])
            elif kind in ("separate", "end") and stack:
                codes.append("".join(stack.pop()))
    codes += ["".join(parts) for parts in stack]  # a field left open
    found = []
    for code in codes:
        target = hyperlink_target(code)
        if target is not None and not SAFE_LINK.match(target):
            what = f"a HYPERLINK field to '{_short(target)}', which is not a web or email address"
            found.append(Finding(part, what, "field"))
            continue
        match = _FIELD_NAME.match(code)
        if match and match.group(1).upper() in FETCHING_FIELDS:
            field = match.group(1).upper()
            article = "an" if field[0] in "AEIOU" else "a"
            found.append(Finding(part, f"{article} {field} field ({_short(code.strip())})", "field"))
    return found


def hyperlink_target(code: str) -> str | None:
    """The address a HYPERLINK field goes to; None for another field or a link within the document (\\l only)."""
    tokens = re.findall(r'"[^"]*"|\S+', code)
    if not tokens or tokens[0].upper() != "HYPERLINK":
        return None
    rest = iter(tokens[1:])
    for token in rest:
        if token.startswith("\\"):
            if token[1:2].lower() in ("l", "o", "t"):  # switches that take an argument (bookmark, tip, frame)
                next(rest, None)
            continue
        return token.strip('"')
    return None


def _xml_parts(archive: zipfile.ZipFile) -> list[str]:
    return [n for n in archive.namelist() if n.endswith((".xml", ".rels")) and not n.endswith("/")]


# The limits check-docx reads any Word file with (regen/readback.py): a template's largest part (a logo, the
# styles) is a few MB; a part past these is a zip bomb or will make Word and LibreOffice inflate it in every policy.
MAX_PART = 64 * 1024 * 1024
MAX_RATIO = 200
MAX_PARTS = 10_000


def scan(archive: zipfile.ZipFile, name: str) -> list[Finding]:
    """Everything in the package that reaches outside it, in part order. Unsafe XML raises."""
    if len(archive.infolist()) > MAX_PARTS:
        raise PolicyBuilderError(f"{name}: holds more than {MAX_PARTS:,} parts; no Word file needs so many")
    for info in archive.infolist():
        mb = info.file_size // (1024 * 1024)
        if info.file_size > MAX_PART:
            raise PolicyBuilderError(
                f"{name}: {info.filename} would unpack to {mb:,} MB; the most a part may hold is "
                f"{MAX_PART // (1024 * 1024)} MB (check-docx would refuse every policy built on it)"
            )
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PolicyBuilderError(
                f"{name}: {info.filename} would unpack to {mb:,} MB from {info.compress_size:,} bytes, more than "
                f"{MAX_RATIO} times its size; the file is damaged or made to exhaust memory"
            )
    found: list[Finding] = []
    for part in _xml_parts(archive):
        root = parse_part(archive.read(part), part, name)
        if part.endswith(".rels"):
            found += _rels_findings(part, root)
        elif part.startswith("word/"):
            found += _field_findings(part, root)
            if part == "word/settings.xml" and root.find(f"{{{W}}}mailMerge") is not None:
                found.append(
                    Finding(part, "a mail merge (Word connects to its data source when the file opens)", "relationship")
                )
    return found


def sanitise(data: bytes, name: str) -> bytes:
    """The template without its attached-template link; anything else that reaches out is refused."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = scan(archive, name)
        # The template's body is cleared before the policy is written, so its fields go with it.
        refused = [
            f for f in found if f.kind == "relationship" or (f.kind == "field" and f.part != "word/document.xml")
        ]
        if refused:
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            raise PolicyBuilderError(
                f"{name}: the template has {refused[0]}{more}, which Word would fetch into every policy "
                "built on it; remove it from the template in Word and save it again"
            )
        attached = {f.part for f in found if f.kind == "attached-template"}
        return _without_attached_template(archive, attached) if attached else data


def _without_attached_template(archive: zipfile.ZipFile, rels_parts: set[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        dropped: dict[str, set[str]] = {}  # source part -> relationship ids removed
        rewritten: dict[str, bytes] = {}
        for part in rels_parts:
            root = parse_part(archive.read(part), part, "")
            ids = set()
            for rel in list(root.iter(f"{{{PACKAGE_RELS}}}Relationship")):
                if rel.get("Type") == ATTACHED_TEMPLATE and rel.get("TargetMode") == "External":
                    ids.add(rel.get("Id", ""))
                    root.remove(rel)
            rewritten[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            # word/_rels/settings.xml.rels belongs to word/settings.xml
            path = PurePosixPath(part)
            dropped[str(path.parent.parent / path.name.removesuffix(".rels"))] = ids
        for source, ids in dropped.items():
            if source not in archive.namelist():
                continue
            root = parse_part(archive.read(source), source, "")
            for element in list(root.iter(f"{{{W}}}attachedTemplate")):
                parent = element.getparent()
                if element.get(f"{{{R}}}id") in ids and parent is not None:
                    parent.remove(element)
            rewritten[source] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        for info in archive.infolist():
            target.writestr(info, rewritten.get(info.filename, archive.read(info.filename)))
    return out.getvalue()
