"""Renderers: the same Policy model as Markdown (Jinja2 templates) and Word (python-docx)."""
