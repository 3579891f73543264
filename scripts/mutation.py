"""Shared pieces of the mutation campaigns (scripts/mutate.py for the MAC
array, scripts/mutate_top.py for the accelerator's control RTL): the mutant
record, a subprocess runner with a timeout, and the copy of the working tree
into the campaign's own checkout."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path


@dataclasses.dataclass
class Mutant:
    file: str
    old: str          # exact text, must occur exactly once in the file, on one line
    new: str
    what: str
    equivalent: str = ""  # non-empty: expected to survive, with the reason


def sh(cmd, cwd=None, log=None, timeout=None):
    """Run cmd; returns (returncode or None on timeout, output)."""
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=timeout)
        rc, out = r.returncode, r.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        rc, out = None, out.decode(errors="replace") if isinstance(out, bytes) else out
    if log is not None:
        Path(log).write_text(out)
    return rc, out


def sync_tree(src: Path, dst: Path) -> list[str]:
    """Copy the working-tree files of src (tracked + untracked, not ignored) that differ."""
    _, out = sh(["git", "-C", str(src), "ls-files", "-co", "--exclude-standard", "-z"])
    copied = []
    for rel in filter(None, out.split("\0")):
        s, d = src / rel, dst / rel
        if not s.is_file():
            continue
        if d.is_file() and d.read_bytes() == s.read_bytes():
            continue
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s, d)
        copied.append(rel)
    return copied
