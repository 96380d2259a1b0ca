"""Audit an employer's current policy against the clause library (issue 19).

read: the document as passages; match: what each passage says about the library's actions;
api: audit_document, the findings with their evidence, severity and sources; report: what people read.
"""

from __future__ import annotations

from policy_builder.audit.api import Audit, Finding, ItemCoverage, audit_document
from policy_builder.audit.read import DocumentError, NoTextLayerError, Passage, read_passages

__all__ = [
    "Audit",
    "DocumentError",
    "Finding",
    "ItemCoverage",
    "NoTextLayerError",
    "Passage",
    "audit_document",
    "read_passages",
]
