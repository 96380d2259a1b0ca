"""One-off helper: regenerate the guidance part of clauses/sources.yaml.

Reads ../shared/guidance/source-items.yaml and prints the documents and items
blocks. The UK law and regulator sources below them are maintained by hand.
"""

import sys
from pathlib import Path

import yaml

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/guidance/source-items.yaml")
data = yaml.safe_load(shared.read_text(encoding="utf-8"))
out = ["documents:"]
for key, doc in data["documents"].items():
    out.append(f"  {key}:")
    out.append(f"    title: {yaml.safe_dump(doc['title'], width=1000).strip().removesuffix('...').strip()}")
    out.append(f"    body: {yaml.safe_dump(doc['publisher'], width=1000).strip().removesuffix('...').strip()}")
    out.append(f"    edition: {yaml.safe_dump(doc['edition'], width=1000).strip().removesuffix('...').strip()}")
    out.append("    kind: guidance")
out.append("items:")
for item, summary in data["items"].items():
    doc = item.split("-")[0]
    # Block style, never a flow mapping: in `{document: X, summary: a, b}` an unquoted comma
    # ends the summary and turns the rest into a key of its own.
    s = yaml.safe_dump({"summary": summary}, width=10000, allow_unicode=True).strip()
    out.append(f"  {item}:")
    out.append(f"    document: {doc}")
    out.append(f"    {s}")
print("\n".join(out))
