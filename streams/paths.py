"""Where downloaded data lives: the data root that the image and text loaders share."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ALCL_DATA"
DEFAULT_ROOT = Path.home() / ".cache" / "alcl" / "data"


def data_root(root: str | Path | None = None) -> Path:
    """The data root: ``root`` if given, else ``$ALCL_DATA``, else ``~/.cache/alcl/data``."""
    if root:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else DEFAULT_ROOT
