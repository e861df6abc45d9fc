"""The Python versions the project claims are the ones its code runs on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _claims() -> tuple[str, str]:
    """``requires-python``'s lowest version ("3.10") and ruff's target ("py310"), read as text
    (tomllib is 3.11+)."""
    text = (ROOT / "pyproject.toml").read_text()
    minimum = re.search(r'^requires-python = ">=(\d+\.\d+)"', text, re.M).group(1)
    return minimum, re.search(r'^target-version = "(py\d+)"', text, re.M).group(1)


def test_ruff_target_is_the_lowest_python_claimed():
    minimum, target = _claims()
    assert target == "py" + minimum.replace(".", "")


def test_no_code_needs_a_newer_python_than_claimed():
    """vermin reads each module's syntax and stdlib uses (``datetime.UTC`` is 3.11+, say)."""
    vermin = shutil.which("vermin", path=str(Path(sys.executable).parent))
    if vermin is None:
        pytest.skip("vermin is not installed (pip install -e '.[dev]')")
    minimum, _ = _claims()
    done = subprocess.run(
        [
            vermin,
            "--no-tips",
            "--violations",
            f"-t={minimum}-",
            "--eval-annotations",
            str(ROOT / "twoface"),
            str(ROOT / "tests"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_design_sections_cited_in_the_code_exist():
    """Docstrings cite ``(DESIGN.md, "Section")``: the file is the project's own and has it."""
    headings = set(re.findall(r"^#+ (.+)$", (ROOT / "DESIGN.md").read_text(), re.M))
    cited = set()
    for path in [*(ROOT / "twoface").rglob("*.py"), ROOT / "README.md"]:
        text = path.read_text()
        assert "shared/DESIGN" not in text, path
        cited |= set(re.findall(r'DESIGN\.md, "([^"]+)"', text))
    assert cited and cited <= headings, cited - headings
