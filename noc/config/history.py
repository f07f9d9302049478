"""The configurations' history: a git repository under the state folder (`var/config/repo`),
one file per device (`<device>.cfg`) on branch `main`, written with dulwich (no git binary).

A commit is made only when a device's text changed. Its author is who the device says changed
it (else `noc`), its committer `noc`, its message the device and the lines added and removed.
Times are stored with the WIB offset (+07:00). Commits are made by building the tree directly
(no working tree, no index), under a file lock, so a `noc config backup` beside `noc serve`
cannot interleave with it.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dulwich.objects import Blob, Commit, Tree
from dulwich.refs import HEADREF, Ref
from dulwich.repo import Repo

from noc.errors import NocError

BRANCH = Ref(b"refs/heads/main")
WIB_OFFSET_S = 7 * 3600


class HistoryError(NocError):
    """A revision or date that the history does not hold."""


@dataclass(frozen=True)
class Revision:
    id: str  # the commit's full hex id
    at: float
    author: str
    message: str

    @property
    def short(self) -> str:
        return self.id[:10]


@dataclass(frozen=True)
class Recorded:
    """What a backup's text did to the history: a commit id ("" when nothing changed), and
    the lines added, removed, and the first changed ones (none for a first backup)."""

    commit: str
    added: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Compared:
    old: str
    new: str
    text: str  # empty when the two are the same


def _identity(name: str) -> bytes:
    safe = "".join(c for c in name if c.isalnum() or c in "._-@") or "noc"
    return f"{safe} <{safe}@noc>".encode()


def _filename(device: str) -> bytes:
    return f"{device}.cfg".encode()


class ConfigHistory:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if not (path / "HEAD").exists():
            repo = Repo.init_bare(str(path))
            repo.refs.set_symbolic_ref(HEADREF, BRANCH)
            repo.close()

    @contextlib.contextmanager
    def _repo(self, write: bool = False) -> Iterator[Repo]:
        lock_file = (self.path / "noc.lock").open("a")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            repo = Repo(str(self.path))
            try:
                yield repo
            finally:
                repo.close()
        finally:
            lock_file.close()

    @staticmethod
    def _head(repo: Repo) -> Commit | None:
        try:
            found = repo[repo.refs[BRANCH]]
        except KeyError:
            return None
        assert isinstance(found, Commit)
        return found

    @staticmethod
    def _text_in(repo: Repo, commit: Commit | None, device: str) -> str | None:
        if commit is None:
            return None
        tree = repo[commit.tree]
        assert isinstance(tree, Tree)
        try:
            _, sha = tree[_filename(device)]
        except KeyError:
            return None
        blob = repo[sha]
        assert isinstance(blob, Blob)
        return blob.data.decode()

    def current(self, device: str) -> str | None:
        with self._repo() as repo:
            return self._text_in(repo, self._head(repo), device)

    def record(
        self, device: str, text: str, author: str | None, now: float | None = None
    ) -> Recorded:
        """Commit `text` as `device`'s configuration when it differs from the last one."""
        with self._repo(write=True) as repo:
            head = self._head(repo)
            before = self._text_in(repo, head, device)
            if before == text:
                return Recorded("")
            blob = Blob.from_string(text.encode())
            tree = Tree()
            if head is not None:
                old = repo[head.tree]
                assert isinstance(old, Tree)
                for entry in old.items():
                    tree.add(entry.path, entry.mode, entry.sha)
            tree.add(_filename(device), 0o100644, blob.id)
            added, removed = count_changes(before or "", text)
            commit = Commit()
            commit.tree = tree.id
            commit.parents = [head.id] if head is not None else []
            commit.author = _identity(author or "noc")
            commit.committer = _identity("noc")
            at = int(time.time() if now is None else now)
            commit.author_time = commit.commit_time = at
            commit.author_timezone = commit.commit_timezone = WIB_OFFSET_S
            first = " (first backup)" if before is None else ""
            commit.message = f"{device}: +{added} -{removed}{first}\n".encode()
            store = repo.object_store
            store.add_object(blob)
            store.add_object(tree)
            store.add_object(commit)
            repo.refs[BRANCH] = commit.id
            shown = changed_lines(before, text) if before is not None else []
            return Recorded(commit.id.decode(), added, removed, shown)

    def revisions(self, device: str) -> list[Revision]:
        """The commits that changed `device`'s file, newest first."""
        with self._repo() as repo:
            return self._revisions(repo, device)

    def _revisions(self, repo: Repo, device: str) -> list[Revision]:
        if self._head(repo) is None:
            return []
        return [
            Revision(
                e.commit.id.decode(),
                float(e.commit.author_time),
                e.commit.author.decode().split(" <", 1)[0],
                e.commit.message.decode().strip(),
            )
            for e in repo.get_walker(include=[repo.refs[BRANCH]], paths=[_filename(device)])
        ]

    def text_at(self, device: str, rev: str) -> str:
        """`device`'s text as of commit `rev` (a prefix of 4 or more hex digits)."""
        with self._repo() as repo:
            commit = self._resolve(repo, device, rev)
            text = self._text_in(repo, commit, device)
        if text is None:
            raise HistoryError(f"{device} has no configuration at {rev}")
        return text

    def _resolve(self, repo: Repo, device: str, rev: str) -> Commit:
        rev = rev.lower()
        matches = [r for r in self._revisions(repo, device) if r.id.startswith(rev)]
        if len(rev) < 4 or not matches:
            raise HistoryError(f"{device} has no revision {rev}: see `noc config history {device}`")
        found = repo[matches[0].id.encode()]
        assert isinstance(found, Commit)
        return found

    def compare(self, device: str, old: str | None = None, new: str | None = None) -> Compared:
        """The unified diff of `device` from `old` to `new` (default: the latest, and the
        revision before `new`). HistoryError when there is nothing to compare."""
        ids = [r.id for r in self.revisions(device)]
        if not ids:
            raise HistoryError(f"{device}: no backup yet")
        b = new or ids[0]
        if old is None:
            later = next((i for i, r in enumerate(ids) if r.startswith(b.lower())), 0)
            if later + 1 >= len(ids):
                raise HistoryError(
                    f"{device}: only one revision ({ids[later][:10]}); nothing to compare"
                )
            old = ids[later + 1]
        before, after = self.text_at(device, old), self.text_at(device, b)
        text = unified(before, after, f"{device}@{old[:10]}", f"{device}@{b[:10]}")
        return Compared(old, b, text)

    def at_time(self, device: str, when: float) -> Revision:
        """The revision in force at `when`."""
        for r in self.revisions(device):
            if r.at <= when:
                return r
        raise HistoryError(f"{device} had no configuration backed up by then")


def count_changes(before: str, after: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def changed_lines(before: str, after: str, limit: int = 10) -> list[str]:
    """The first changed lines, `+`/`-` marked, for a message."""
    out = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        out.append(line)
        if len(out) >= limit:
            break
    return out


def unified(before: str, after: str, a: str, b: str) -> str:
    return "\n".join(
        difflib.unified_diff(before.splitlines(), after.splitlines(), a, b, lineterm="")
    )
