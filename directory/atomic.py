"""Files replaced whole: a reader sees the old file or the new one, never half of either.

The content is written to a temporary file beside the target (its name unique to the process
and thread, so concurrent writers never share one), then renamed over the target
(`os.replace`, atomic on POSIX within a folder). A failed write leaves the old file as it was
and no temporary file behind, and raises.
"""

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def replace(path: Path, content: bytes | Callable[[BinaryIO], object]) -> None:
    """Replace `path` with `content`: bytes, or a function that writes to the open file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as out:
            if isinstance(content, bytes):
                out.write(content)
            else:
                content(out)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
