"""The SLA report printed to PDF by headless Chromium (Debian's `chromium` package), offline:
the page is a local file with every asset inline."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from noc.errors import NocError


class PdfError(NocError):
    """The PDF was not made; the message says why."""


def render_pdf(html_text: str, timeout_s: float = 120.0) -> bytes:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise PdfError("PDF needs Chromium: apt-get install chromium (or use --format html)")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        printed = Path(tmp) / "report.pdf"
        page.write_text(html_text, encoding="utf-8")
        try:
            result = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={tmp}/profile",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={printed}",
                    page.as_uri(),
                ],
                check=False,
                capture_output=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"the PDF was not made: Chromium took over {timeout_s:g} s") from None
        data = printed.read_bytes() if printed.is_file() else b""
        if result.returncode != 0 or not data.startswith(b"%PDF"):
            said = result.stderr.decode(errors="replace").strip().splitlines()
            why = said[-1] if said else f"exit code {result.returncode}"
            raise PdfError(f"the PDF was not made: Chromium: {why[:300]}")
        return data
