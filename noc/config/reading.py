"""One command's answer out of an interactive session, read by the prompt's return and not by
timing. A device on a slow radio link sends its prompt in pieces, repaints it, or echoes the
command twice; reading "whatever has arrived after a pause" then keeps a prompt fragment in the
configuration (a commit on every run) or cuts the output short. Here an answer is complete only
when the echo of the command has come back, then the output, then the whole prompt alone on the
last line. Pure: the session's bytes are passed in.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def plain(data: str) -> str:
    """Without terminal escapes, with `\\n` line ends (a lone `\\r`, a repaint, starts a line)."""
    return _ANSI.sub("", data).replace("\r\n", "\n").replace("\r", "\n")


def prompt_in(buffer: str, pattern: re.Pattern[str]) -> str | None:
    """The prompt the session ends with (`pattern`: the vendor's), or None while it has not
    come whole. Returns sent in a row give prompts on one line: the last one is taken."""
    last = plain(buffer).rsplit("\n", 1)[-1].strip()
    ends = [m.group(0) for m in pattern.finditer(last) if m.end() == len(last)]
    return ends[-1] if ends else None


def answer(buffer: str, command: str, prompt: str) -> str | None:
    """`command`'s output in `buffer` (what was read since it was sent), or None while it is not
    complete. What came before the echo (prompts of earlier returns) is not the answer, nor are
    repaints of the echo."""
    text = plain(buffer)
    at = text.find(command)
    if at < 0:
        return None
    end = text.find("\n", at)
    if end < 0:
        return None
    lines = text[end + 1 :].split("\n")
    # The answer ends with whole prompts alone on their line (returns sent in a row print
    # several). A line that starts with the tail of a prompt is an earlier prompt the echo cut
    # into, still being printed: the command has not been run yet.
    last = lines[-1].strip()
    if not last or last.split(prompt)[0].strip() or not last.endswith(prompt):
        return None
    body = lines[:-1]
    # Before the output: repaints of the echo, and prompts of earlier returns the echo cut
    # into (a device echoes what it receives while it is still printing an earlier prompt).
    while body and (body[0].rstrip().endswith(command) or _only_prompts(body[0], prompt)):
        body.pop(0)
    while body and body[-1].strip() in ("", prompt):  # the prompt repainted
        body.pop()
    return "\n".join(body)


def _only_prompts(line: str, prompt: str) -> bool:
    """Whether `line` holds nothing but whole prompts, after at most the tail of one."""
    first, *rest = (piece.strip() for piece in line.split(prompt))
    return not any(rest) and (not first or prompt.endswith(first))
