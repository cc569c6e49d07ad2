"""The version in the package agrees with the project metadata."""

import tomllib
from importlib.metadata import version
from pathlib import Path

import vp_desk

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_version_literal_matches_pyproject() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]

    assert vp_desk.__version__ == project["version"]


def test_version_literal_matches_installed_metadata() -> None:
    assert vp_desk.__version__ == version("vp-desk")
