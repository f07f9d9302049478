"""The words of a PDF with their boxes (poppler's `pdftotext -bbox`), and what a reader sees
as broken: a word that leaves its page, and two words printed over each other."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
    r"(.*?)</word>"
)


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def words(pdf: Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """(each page's width and height, every word) in points."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages, found = [], []
    for number, (w, h, body) in enumerate(_PAGE.findall(out), 1):
        pages.append((float(w), float(h)))
        for x0, y0, x1, y1, text in _WORD.findall(body):
            found.append(Word(number, float(x0), float(y0), float(x1), float(y1), text))
    return pages, found


def problems(pdf: Path, margin_pt: float = 38.0, slack_pt: float = 0.8) -> list[str]:
    """Every word outside its page's printable area (`margin_pt` in from each edge), and every
    pair of words on a page that overlap by more than `slack_pt` both ways."""
    pages, found = words(pdf)
    said = []
    for word in found:
        w, h = pages[word.page - 1]
        if word.x0 < margin_pt or word.x1 > w - margin_pt or word.y1 > h - margin_pt / 2:
            said.append(
                f"page {word.page}: {word.text!r} leaves the page ({word.x1:.0f} of {w:.0f})"
            )
    by_page: dict[int, list[Word]] = {}
    for word in found:
        by_page.setdefault(word.page, []).append(word)
    for page, items in by_page.items():
        items.sort(key=lambda x: x.x0)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.x0 >= a.x1 - slack_pt:
                    break
                if (
                    min(a.y1, b.y1) - max(a.y0, b.y0) > slack_pt
                    and min(a.x1, b.x1) - b.x0 > slack_pt
                ):
                    said.append(f"page {page}: {a.text!r} and {b.text!r} overlap")
    return said


def cut_words(pdf: Path, source_html: str) -> list[str]:
    """Words printed in part: a PDF word that is no word of the page it was printed from
    (`Memenuh` for `Memenuhi` in a column too narrow, `Oktobe` at a chart's edge)."""
    import html as html_module

    text = html_module.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", source_html, flags=re.S))
    known = set(text.split())
    for word in list(known):  # a word may break at its hyphen: ke-95 as ke- and 95
        parts = word.split("-")
        known.update(p + "-" for p in parts[:-1])
        known.update(parts)
    _, found = words(pdf)
    return sorted(
        {
            f"page {w.page}: {w.text!r}"
            for w in found
            if w.text not in known and html_module.unescape(w.text) not in known
        }
    )
