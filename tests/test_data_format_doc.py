"""docs/data-format.md describes every field the model accepts: a field added without a word
in the documentation fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from pydantic import BaseModel

import s75docs.model.agreement as model

DOC = (Path(__file__).resolve().parent.parent / "docs" / "data-format.md").read_text("utf-8")


def test_every_model_field_is_documented() -> None:
    models = [cls for _, cls in inspect.getmembers(model, inspect.isclass)
              if issubclass(cls, BaseModel) and cls.__module__ == model.__name__]
    assert len(models) > 20
    missing = [f"{cls.__name__}.{name}" for cls in models for name in cls.model_fields
               if f"`{name}`" not in DOC and not re.search(rf"\b{name}:", DOC)]
    assert missing == []


def test_every_regulated_activity_is_documented() -> None:
    assert [a.value for a in model.RegulatedActivity if f"`{a.value}`" not in DOC] == []
