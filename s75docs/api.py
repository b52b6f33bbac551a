"""The library API the CLI mirrors: one function per command, callable from a notebook."""

from __future__ import annotations

from pathlib import Path

from .checks import run_checks
from .errors import Finding
from .load import Loaded, load_agreement


def check_agreement(path: Path | str, *, final: bool = False) -> list[Finding]:
    """Load and check an agreement folder. Raises S75Error if it cannot even be loaded."""
    return run_checks(load_agreement(path), final=final)


__all__ = ["Loaded", "check_agreement", "load_agreement"]
