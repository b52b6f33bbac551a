"""The round-trip writer: only the edited fields change, and the result reads back as meant."""

from __future__ import annotations

import datetime as dt
import difflib

import pytest
import yaml

from s75docs.errors import S75Error
from s75docs.load.roundtrip import YamlFile

TEXT = """\
# A comment at the top.
name: 'Quoted, kept'   # a trailing comment
flag: no               # YAML 1.1 reads this as false: kept as written
code: 010
shares:
  council: 51%
  ccg: 49%
items:
  - partner: ccg
    note: >-
      A long note that the drafter wrapped by hand, naming the CCG twice: the CCG's
      Governing Body, over two lines.
  - {partner: council, amount: "1,000"}
when: 2022-07-01
"""


def changed(doc: YamlFile) -> tuple[list[str], list[str]]:
    """The lines removed and added by the edits."""
    old, new = doc.source.splitlines(), doc.text().splitlines()
    diff = list(difflib.ndiff(old, new))
    return ([line[2:] for line in diff if line.startswith("- ")],
            [line[2:] for line in diff if line.startswith("+ ")])


def test_untouched_text_is_kept_byte_for_byte() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    assert doc.text() == TEXT


def test_edits_touch_only_their_lines() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    doc.set(("items", 0, "partner"), "icb")
    doc.substitute(("items", 0, "note"), lambda t: t.replace("CCG", "ICB"))
    doc.set(("shares", "ccg"), "49.5%")
    doc.rename_key(("shares", "ccg"), "icb")
    doc.add(("items", 1), "by_predecessor", True)
    removed, added = changed(doc)
    assert removed == ["  ccg: 49%", "  - partner: ccg",
                       "      A long note that the drafter wrapped by hand, naming the CCG twice: "
                       "the CCG's",
                       '  - {partner: council, amount: "1,000"}']
    assert added == ["  icb: 49.5%", "  - partner: icb",
                     "      A long note that the drafter wrapped by hand, naming the ICB twice: "
                     "the ICB's",
                     '  - {partner: council, amount: "1,000", by_predecessor: true}']
    assert yaml.safe_load(doc.text())["flag"] is False  # untouched, still the user's own text


def test_new_strings_that_yaml_would_misread_are_quoted() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    doc.set(("items", 0, "partner"), "yes")
    doc.set(("when",), "2023-01-01")
    doc.replace(("items", 1), {"partner": "on", "amount": "1e3", "date": dt.date(2022, 7, 1),
                               "open": {"to_be_agreed": "a: b"}})
    data = yaml.safe_load(doc.text())
    assert data["items"][0]["partner"] == "yes" and data["when"] == "2023-01-01"
    assert data["items"][1] == {"partner": "on", "amount": "1e3", "date": dt.date(2022, 7, 1),
                                "open": {"to_be_agreed": "a: b"}}
    assert '    open: {to_be_agreed: "a: b"}' in doc.text()  # an open point stays on one line


def test_deleting_an_entry_or_item_removes_its_lines_only() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    doc.delete(("shares", "ccg"))
    doc.delete(("items", 0))
    removed, added = changed(doc)
    assert added == [] and removed[0] == "  ccg: 49%" and len(removed) == 5
    assert "# a trailing comment" in doc.text()


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: !!python/object:os.system ls\n"])
def test_aliases_and_tags_are_refused(text: str) -> None:
    with pytest.raises(S75Error):
        YamlFile(text, "t.yaml").text()


def test_two_edits_of_one_value_are_refused() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    doc.set(("items", 0, "partner"), "icb")
    with pytest.raises(S75Error, match="changed twice"):
        doc.set(("items", 0, "partner"), "x")


def test_an_item_is_appended_to_a_list_or_the_list_added() -> None:
    doc = YamlFile(TEXT, "t.yaml")
    doc.append(("items",), {"partner": "icb", "note": "added"})
    doc.add((), "variations", [{"date": dt.date(2023, 4, 1), "description": "yes"}])
    removed, added = changed(doc)
    assert removed == []
    assert added == ["  - partner: icb", "    note: added", "variations:",
                     "  - date: 2023-04-01", '    description: "yes"']


def test_swapping_list_items_moves_their_lines_and_comments_only() -> None:
    text = ("items:\n  # about a\n  - name: a\n    note: x\n\n  - name: b\n"
            "  # about c\n  - name: c\nafter: 1")
    doc = YamlFile(text, "t.yaml")
    doc.swap(("items",), 1, 2)
    assert doc.text() == ("items:\n  # about a\n  - name: a\n    note: x\n\n  # about c\n"
                          "  - name: c\n  - name: b\nafter: 1")
    doc = YamlFile("items:\n  - a\n  - b", "t.yaml")
    doc.swap(("items",), 0, 1)
    assert doc.text() == "items:\n  - b\n  - a" and doc.data == {"items": ["b", "a"]}
    with pytest.raises(S75Error):
        YamlFile("items: [a, b]\n", "t.yaml").swap(("items",), 0, 1)
