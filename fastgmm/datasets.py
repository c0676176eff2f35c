"""Locating third-party evaluation data and reading CDnet-layout sequences."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "FASTGMM_DATA"


def shared_data_dir() -> Path | None:
    """Return the folder of third-party evaluation data, or ``None`` when it is not present.

    Looks at ``$FASTGMM_DATA`` first, then for ``shared/data`` beside (or inside) any ancestor of
    the working directory and of this package's location.  The data is never shipped with fastgmm.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            for candidate in (folder / "shared" / "data", folder.parent / "shared" / "data"):
                if candidate.is_dir():
                    return candidate
    return None
