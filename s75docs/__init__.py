"""s75docs: Section 75 partnership agreements, schedules and deeds of variation from data."""

from .api import check_agreement, load_agreement
from .errors import Finding, S75Error

__all__ = ["Finding", "S75Error", "check_agreement", "load_agreement"]
