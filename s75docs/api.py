"""The library API the CLI mirrors: one function per command, callable from a notebook."""

from __future__ import annotations

from pathlib import Path

from s75docs.errors import Finding
from s75docs.load.folder import Loaded, load_agreement
from s75docs.pipeline import build_agreement, prepare, render_agreement
from s75docs.versions.succession import succeed


def check_agreement(path: Path | str, *, final: bool = False,
                    templates: list[Path] | None = None) -> list[Finding]:
    """Every finding for an agreement folder: data checks, then (when the data has no errors)
    the statutory items and defined terms of the rendered agreement.

    Raises S75Error if the folder cannot even be loaded.
    """
    return prepare(path, final=final, templates=templates).findings


__all__ = ["Loaded", "build_agreement", "check_agreement", "load_agreement", "render_agreement",
           "succeed"]
