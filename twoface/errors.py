"""The one error type users see: a file and what is wrong with it, printed on one line."""

from __future__ import annotations

from pathlib import Path


class TwofaceError(Exception):
    """A problem with one file (or input), shown to the user as ``"<path>: <problem>"``."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class ConfigError(ValueError):
    """Settings that cannot work together or are out of range, found when a config dataclass is
    built (``__post_init__``); the CLI shows it as ``twoface: <problem>`` and exits 2."""
