"""Replacing one "## " section of docs/benchmarks.md with a benchmark's fresh results (shared by the
bench/ scripts, which run as files: their folder is first on sys.path)."""

from __future__ import annotations

from pathlib import Path

HEADER = "# Benchmarks\n\nMeasured figures; each section says how to rerun it.\n"


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put ``section`` (which starts with ``heading``) in place of the section of that heading, or at the end."""
    text = path.read_text() if path.exists() else HEADER
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section.rstrip("\n") + "\n" + ("" if end == -1 else text[end:])
    path.write_text(text.rstrip("\n") + "\n")
