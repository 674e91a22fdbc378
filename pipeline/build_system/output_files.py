"""Writing build outputs: atomically, and (where it matters to make) only when the content changed.

A reader never sees half a file: content goes to a temporary file in the same folder, then is
renamed over the target. Keeping the modification time of an unchanged file is what lets ``make``
and the render cache skip the work downstream of it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary file and a rename; mode 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_bytes(content))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """:func:`write_atomic`, only when the content differs; True when written."""
    data = _bytes(content)
    if path.exists() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True
