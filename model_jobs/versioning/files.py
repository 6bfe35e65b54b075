"""Writing spec files safely: whole-file replacement by rename, so a failure never leaves half
a file, and a way to undo the files a command wrote if a later step fails."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, prefix=f".{path.name}.", suffix=".tmp"
    ) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


class FileChanges:
    """Records each file's content before it is changed; `undo` puts everything back."""

    def __init__(self) -> None:
        self._before: list[tuple[Path, str | None]] = []

    def write(self, path: Path, text: str) -> None:
        before = path.read_text(encoding="utf-8") if path.exists() else None
        self._before.append((path, before))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)

    def undo(self) -> None:
        for path, before in reversed(self._before):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, before)
        self._before.clear()
