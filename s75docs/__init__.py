"""s75docs: Section 75 partnership agreements, schedules and deeds of variation from data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from s75docs.errors import Finding, S75Error

if TYPE_CHECKING:
    from s75docs.api import check_agreement, load_agreement

__all__ = ["Finding", "S75Error", "api", "check_agreement", "load_agreement"]


def __getattr__(name: str) -> Any:
    """The API is imported on first use, so ``s75docs --help`` does not load Jinja, pydantic..."""
    if name in ("api", "check_agreement", "load_agreement"):
        import importlib

        api = importlib.import_module("s75docs.api")
        return api if name == "api" else getattr(api, name)
    raise AttributeError(f"module 's75docs' has no attribute {name!r}")
