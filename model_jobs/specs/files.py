"""Reading spec and SQL files: plain files only, of a sane size, as UTF-8 text.

A folder or a named pipe called `jobs/x.yaml` would otherwise hang or crash the loader, and a
huge or binary file would be read whole; each is an error that names the file (and the line of
an undecodable byte)."""

from __future__ import annotations

import stat
from pathlib import Path

from model_jobs.errors import SpecFileError

MAX_BYTES = 1_000_000  # far above any real spec or model; keeps a stray dump out of memory


def read_spec_file(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise SpecFileError(f"cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SpecFileError("is not a plain file (a folder, pipe or device): spec and SQL files must be plain files")
    if info.st_size > MAX_BYTES:
        raise SpecFileError(f"is {info.st_size:,} bytes; spec and SQL files may be at most {MAX_BYTES:,}")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecFileError(f"is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line) from None
