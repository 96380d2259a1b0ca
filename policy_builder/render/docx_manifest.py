"""The build manifest inside a .docx, as a custom XML part.

Custom XML parts are Word's place for data that travels with a document but
is not shown; Word and LibreOffice keep them when the file is opened and
saved. Working on the zip directly keeps this independent of how the
document itself was built.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

NAMESPACE = "urn:policy-builder:manifest:1"
PART = "customXml/policy-builder-manifest.xml"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
RELS = "word/_rels/document.xml.rels"


def escape(text: str) -> str:
    """&, < and > as XML character entities, as xml.sax.saxutils.escape does.

    Our own three replacements: importing xml.sax.saxutils imports urllib.request, and with it
    http.client, email and ssl, about 30 ms of every build that writes a Word file.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def manifest_xml(manifest: dict[str, Any]) -> bytes:
    payload = escape(json.dumps(manifest, ensure_ascii=False))
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<manifest xmlns="{NAMESPACE}">{payload}</manifest>'
    return xml.encode("utf-8")


def embed(docx: bytes, manifest: dict[str, Any]) -> bytes:
    """Add the manifest to an already-saved .docx (render_docx does it before saving, more cheaply)."""
    xml = manifest_xml(manifest).decode("utf-8")
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == PART:
                continue
            if item.filename == RELS:
                data = _add_relationship(data.decode("utf-8")).encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                data = _ensure_xml_content_type(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
        target.writestr(PART, xml.encode("utf-8"))
    return out.getvalue()


def _add_relationship(rels: str) -> str:
    if f'Target="../{PART}"' in rels:
        return rels
    ids = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels)]
    rel = f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{REL_TYPE}" Target="../{PART}"/>'
    return rels.replace("</Relationships>", rel + "</Relationships>")


def _ensure_xml_content_type(types: str) -> str:
    if 'Extension="xml"' in types:
        return types
    return types.replace("</Types>", '<Default Extension="xml" ContentType="application/xml"/></Types>')


def candidates(names: list[str]) -> list[str]:
    """The parts that may hold the manifest: ours, then Word's renamed customXml/itemN.xml (after a save in Word).

    Reading and checking them is policy_builder.regen.manifest.read_manifest's job (through readback).
    """
    return [PART] + [n for n in names if n.startswith("customXml/item") and not n.endswith(".rels")]
