"""The report's narrative: one Markdown file per section, written by people, read at rendering.

The published report surrounds its figures with text only the offices can
write (an overview of the year, activities, the return programme's focus,
good practices). ctdata keeps that text out of the code: a folder holds one
``<section id>.md`` file per section, ``ctdata report narrative-template``
writes the files with placeholders, and ``ctdata report annual --narrative
DIR`` places each file's text under its section's figures' introduction.

A placeholder is an HTML comment; a file holding only comments and headings
adds nothing, so an unedited template changes nothing in the report. The
Markdown is rendered with raw HTML disabled (the text cannot inject markup
into the report), and a file whose name matches no section is refused, so a
misspelt file is not silently left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from ctdata.errors import ValidationError
from ctdata.standard.regions import REGIONAL_OFFICES, regional_office_region

#: The parts of a regional chapter's narrative, as in the published report.
REGIONAL_PARTS = ("Overview", "Activities", "Focus on assisted voluntary return and reintegration", "Good practices")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADING = re.compile(r"^\s*#+.*$", re.M)


def regional_section_id(office: str) -> str:
    """The id of a regional chapter (also the name of its narrative file)."""
    return f"ro-{office.lower().replace(' ', '-')}"


@dataclass(frozen=True)
class NarrativeSlot:
    """A section that takes narrative: its id (file name), title, and the parts to write."""

    id: str
    title: str
    parts: tuple[str, ...]


def slots() -> list[NarrativeSlot]:
    """Every section that takes narrative, in report order."""
    out = [
        NarrativeSlot("key-figures", "Key figures", ("Introduction",)),
        NarrativeSlot("global", "Global figures", ("Overview",)),
    ]
    out += [
        NarrativeSlot(regional_section_id(ro), f"{regional_office_region(ro)} (regional office {ro})", REGIONAL_PARTS)
        for ro in REGIONAL_OFFICES
    ]
    out += [
        NarrativeSlot("border-points", "Journeys and border points", ("Overview",)),
        NarrativeSlot("return", "Return and reintegration", ("Overview",)),
        NarrativeSlot("funding", "Project funding", ("Overview",)),
    ]
    return out


def template_text(slot: NarrativeSlot, year: int | None = None) -> str:
    """A file with a comment saying what to write and a heading with a placeholder per part."""
    when = f" in {year}" if year else ""
    lines = [
        f"<!-- Narrative for '{slot.title}'{when}. Write under each heading; the text appears in the report",
        "     after the section's figures introduction. Comments like this one are not printed; a file with",
        "     only comments and headings adds nothing. Markdown: paragraphs, lists, **bold**, [links](url). -->",
        "",
    ]
    for part in slot.parts:
        lines += [f"## {part}", "", f"<!-- {part}{when}: write here. -->", ""]
    return "\n".join(lines)


def write_templates(out: Path, year: int | None = None, overwrite: bool = False) -> list[Path]:
    """Write one template per slot into ``out``; existing files are kept unless ``overwrite``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for slot in slots():
        path = out / f"{slot.id}.md"
        if path.exists() and not overwrite:
            continue
        path.write_text(template_text(slot, year), encoding="utf-8")
        written.append(path)
    return written


def _has_text(markdown: str) -> bool:
    return bool(_HEADING.sub("", _COMMENT.sub("", markdown)).strip())


def _drop_empty_headings(markdown: str) -> str:
    """The text without headings that have nothing under them before the next heading or the end.

    A template filled in part keeps the headings of the parts not written; printed, they would
    stand as empty sections ('Activities', then 'Good practices' with nothing between).
    """

    def level(line: str) -> int:
        return len(line.strip()) - len(line.strip().lstrip("#")) if _HEADING.fullmatch(line) else 0

    lines = markdown.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        if level(line):
            body = []
            for nxt in lines[i + 1 :]:
                if 0 < level(nxt) <= level(line):  # a subheading with text under it keeps its heading
                    break
                if not level(nxt):
                    body.append(nxt)
            if not "".join(body).strip():
                continue
        kept.append(line)
    return "\n".join(kept)


def render_markdown(markdown: str) -> str:
    """HTML of a narrative text, comments dropped, raw HTML not allowed; empty when it holds no text.

    Headings with no text under them are left out (`_drop_empty_headings`).
    """
    if not _has_text(markdown):
        return ""
    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    html = md.render(_drop_empty_headings(_COMMENT.sub("", markdown)))
    # the report's own headings are h2 (sections) and h3 (figures): narrative headings go below them
    return re.sub(r"<(/?)h[1-3]>", r"<\1h4>", html)


def load(folder: Path | str | None) -> dict[str, str]:
    """Section id -> narrative HTML for the files in ``folder`` (none when ``folder`` is None).

    Raises ValidationError when the folder is missing or a file matches no section.
    """
    if folder is None:
        return {}
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError(f"--narrative {folder}: not a folder (write one with `ctdata report narrative-template`)")
    known = {s.id for s in slots()}
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        if path.stem not in known:
            raise ValidationError(
                f"narrative file {path.name} matches no section; the files are named {', '.join(sorted(known))}"
            )
        html = render_markdown(path.read_text(encoding="utf-8"))
        if html:
            out[path.stem] = html
    return out
