"""Names and limits shared across the stages, in a module that imports nothing costly.

The CLI, the batch scheduler and the input fingerprints read these without pulling in pydantic,
Jinja or lxml, so ``s75docs --help`` and an up-to-date check stay fast.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUILTIN_TEMPLATES = PACKAGE / "templates"  # our clause files, reports and reference.docx
BUILTIN_PRESETS = PACKAGE / "presets"  # care-group schemes a schedule may `extends:`
AGREEMENT_FILE = "agreement.yaml"
INPUTS_FILE = ".inputs"  # the fingerprint of what a build read, in its output folder
FORMATS = ("md", "docx")  # what `build` writes; a subset may be asked for
REDLINE_FORMATS = ("docx", "md")  # Word tracked changes, or CriticMarkup
KEY_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"  # partner keys, references, preset names
MAX_LEVEL = 5  # clause levels: 1, 1.1, 1.1.1, (a), (i)


def default_jobs() -> int:
    """Parallel builds when none are asked for: one per core."""
    return os.cpu_count() or 1
