"""The drafters' workspace (``s75docs serve``): the HTML writer, the app's rules, and a drafter's
path through it in a real browser (Chromium driven by Playwright).

The browser test is skipped when Chromium is not installed, unless the CI variable is set: then
it fails, as the LibreOffice tests do.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s75docs.document.resolve import build_tree
from s75docs.web.app import create_app
from s75docs.write.html import write_html

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "oxfordshire-2022"
NAME = EXAMPLE.name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding a copy of the Oxfordshire example, for the workspace to edit."""
    shutil.copytree(EXAMPLE, tmp_path / "work" / NAME)
    return tmp_path / "work"


@pytest.fixture
def served(folder: Path) -> Iterator[str]:
    """The workspace on a free port of 127.0.0.1, in a thread of this process."""
    import uvicorn

    from s75docs.web.server import listening_socket

    sock = listening_socket(0)
    server = uvicorn.Server(uvicorn.Config(create_app(folder), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def call(url: str, body: Any = None, **headers: str) -> tuple[int, str, dict[str, str]]:
    """(status, text, headers) of a GET, or of a POST when there is a body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json", **{
                                         k.replace("_", "-"): v for k, v in headers.items()}})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def token(served: str) -> str:
    page = call(f"{served}/a/{NAME}")[1]
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def change(served: str, field: dict[str, Any], csrf: str) -> dict[str, Any]:
    status, text, _ = call(f"{served}/a/{NAME}/change", field, X_CSRF_Token=csrf)
    assert status == 200, text
    answer: dict[str, Any] = json.loads(text)
    return answer


def test_html_escapes_every_value() -> None:
    tree = build_tree("# Parties {.front}\n\n<b>x</b> and {{x}} & \"y\"\n")
    html = write_html(tree)
    assert "&lt;b&gt;x&lt;/b&gt; and {{x}} &amp; \u201cy\u201d" in html  # quotes curled by the tree
    assert "<b>" not in html


def test_a_party_named_like_markup_shows_literally(served: str) -> None:
    preview = change(served, {"field": "partners[0].name", "value": "<b>x</b> {{x}}"},
                     token(served))["preview"]
    assert "&lt;b&gt;x&lt;/b&gt; {{x}}" in preview and "<b>x</b>" not in preview
    page = call(f"{served}/a/{NAME}")[1]
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt; {{x}}" in page


def test_the_front_page_lists_the_agreements(served: str) -> None:
    status, page, headers = call(served + "/")
    assert status == 200
    assert f'href="/a/{NAME}"' in page and "Section 75 Pooled" in page
    assert "script-src 'self'" in headers["content-security-policy"]


def test_foreign_hosts_are_refused(served: str) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1."""
    assert call(served + "/", Host="evil.example")[0] == 400
    assert call(served + "/", Host="evil.example:80")[0] == 400


def test_writes_need_the_token_and_our_origin(folder: Path, served: str) -> None:
    edit = {"field": "termination.notice", "value": "9 months"}
    assert call(f"{served}/a/{NAME}/change", edit)[0] == 403
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token="guess")[0] == 403
    assert call(f"{served}/a/{NAME}/change", edit, X_CSRF_Token=token(served),
                Origin="http://evil.example")[0] == 403
    assert "notice: 6 months" in (folder / NAME / "agreement.yaml").read_text(encoding="utf-8")


def test_only_the_folders_agreements_are_served(served: str) -> None:
    for name in ("..", "%2e%2e", "..%2F..%2Fetc", "nothing-here"):
        assert call(f"{served}/a/{name}")[0] == 404
    assert call(f"{served}/a/{NAME}/download/exe")[0] == 404


def test_save_keeps_comments_and_refuses_a_file_changed_on_disk(folder: Path,
                                                                served: str) -> None:
    file = folder / NAME / "agreement.yaml"
    before = file.read_text(encoding="utf-8")
    csrf = token(served)
    change(served, {"field": "termination.notice", "value": "9 months"}, csrf)
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)[0] == 200
    assert file.read_text(encoding="utf-8") == before.replace("notice: 6 months",
                                                               "notice: 9 months", 1)
    file.write_text(before.replace("area: Oxfordshire", "area: Oxon"), encoding="utf-8")
    change(served, {"field": "area", "value": "Oxford"}, csrf)
    status, text, _ = call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)
    assert status == 409
    conflict = json.loads(text)["conflict"]
    assert "area: Oxon" in conflict["disk"] and "area: Oxford\n" in conflict["ours"]
    assert "area: Oxon" in file.read_text(encoding="utf-8")


def test_an_open_point_is_a_choice_with_its_note(folder: Path, served: str) -> None:
    csrf = token(served)
    state = change(served, {"field": "approvals[0].date", "open": True,
                            "note": "to follow the Cabinet report"}, csrf)
    assert "[to follow the Cabinet report]" in state["preview"]
    call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)
    text = (folder / NAME / "agreement.yaml").read_text(encoding="utf-8")
    assert "    date: {to_be_agreed: to follow the Cabinet report}\n" in text
    state = change(served, {"field": "approvals[0].date", "open": False, "value": "2022-03-15"},
                   csrf)
    assert "[to follow the Cabinet report]" not in state["preview"]


# --- in a real browser ------------------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed, and CI is set: the browser tests must run")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_a_drafter_changes_the_notice_period_in_the_browser(folder: Path, served: str,
                                                           tmp_path: Path) -> None:
    """Fill a field, see the check's error at it, fix it, save, see the preview change, download
    the .docx and open it."""
    from docx import Document as WordDocument
    from playwright.sync_api import expect, sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        page = browser.new_page(viewport={"width": 1200, "height": 720})
        page.goto(served + "/")
        page.click(f'a[href="/a/{NAME}"]')
        notice = page.locator('[data-field="termination.notice"]')
        messages = notice.locator(".messages")
        expect(messages).to_be_empty()
        expect(page.locator("#preview")).to_contain_text("not less than six months")

        notice.locator(".value").fill("six moons")
        notice.locator(".value").press("Tab")
        expect(messages).to_contain_text("'six moons' is not a period")
        expect(page.locator("#counts")).to_contain_text("1 error(s)")

        notice.locator(".value").fill("9 months")
        notice.locator(".value").press("Tab")
        expect(messages).to_be_empty()
        expect(page.locator("#preview")).to_contain_text("not less than nine months")
        expect(page.locator("#dirty")).to_be_visible()
        if os.environ.get("S75DOCS_SCREENSHOT"):  # docs/workspace.png, for the README
            page.locator(".workspace").screenshot(path=os.environ["S75DOCS_SCREENSHOT"])

        page.click("#save")
        expect(page.locator("#status")).to_have_text("saved")
        expect(page.locator("#dirty")).to_be_hidden()
        saved = (folder / NAME / "agreement.yaml").read_text(encoding="utf-8")
        assert "  notice: 9 months\n" in saved and "# Report, para 45" in saved

        with page.expect_download() as waiting:
            page.click("#download-docx")
        download = waiting.value
        assert download.suggested_filename == "oxfordshire-s75-2022.docx"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        browser.close()
    text = "\n".join(p.text for p in WordDocument(io.BytesIO(target.read_bytes())).paragraphs)
    assert "not less than nine months\u2019 written notice" in text


def test_the_form_comes_from_the_model_with_the_docs_help(folder: Path) -> None:
    from s75docs.web.workspace import Editing

    editing = Editing(folder / NAME)
    try:
        fields = {f.name: f for top in editing.form() for f in top.walk()}
    finally:
        editing.close()
    notice = fields["termination.notice"]
    assert notice.open_allowed and notice.value == "6 months"
    assert notice.help.startswith("Notice any partner may give")
    assert fields["status"].choices == ("draft", "final")
    assert fields["agreement_date"].is_open and fields["agreement_date"].note.startswith("date")
    assert fields["partners[1].kind"].value == "ccg"
    assert "schedules" not in fields and "templates" not in fields  # not edited in the browser


def test_the_workspace_downloads_a_pdf(served: str) -> None:
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed, and CI is set")
        pytest.skip("LibreOffice is not installed")
    status, _, headers = call(f"{served}/a/{NAME}/download/pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert 'filename="oxfordshire-s75-2022.pdf"' in headers["content-disposition"]


def test_the_workspace_downloads_a_redline_against_the_last_commit(folder: Path,
                                                                   served: str) -> None:
    import subprocess
    import zipfile

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], cwd=folder, check=True)
    csrf = token(served)
    change(served, {"field": "termination.notice", "value": "9 months"}, csrf)
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)[0] == 200
    request = urllib.request.Request(f"{served}/a/{NAME}/download/redline")
    with urllib.request.urlopen(request, timeout=120) as response:
        data = response.read()
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "<w:ins " in xml and "nine" in xml and "<w:del " in xml
    assert "1 file changed" in call(served + "/")[1]


def test_lists_take_new_items_lose_them_and_reorder_keeping_comments(folder: Path,
                                                                   served: str) -> None:
    file = folder / NAME / "agreement.yaml"
    before = file.read_text(encoding="utf-8")
    csrf = token(served)
    status, text, _ = call(f"{served}/a/{NAME}/list", {"field": "approvals", "action": "add"},
                           X_CSRF_Token=csrf)
    assert status == 200
    state = json.loads(text)
    assert 'data-field="approvals[2].partner"' in state["form"]
    assert "<option selected>council</option>" in state["form"].split(
        'data-field="approvals[2].partner"')[1].split("</select>")[0]  # a partner chosen
    assert state["fields"]["approvals[2].body"]  # the new item's empty fields, at the field
    assert call(f"{served}/a/{NAME}/list", {"field": "approvals", "action": "remove",
                                            "index": 2}, X_CSRF_Token=csrf)[0] == 200
    state = json.loads(call(f"{served}/a/{NAME}/list", {"field": "governance", "action": "up",
                                                        "index": 1}, X_CSRF_Token=csrf)[1])
    # Clause 19.1 lists the bodies in the data's order (other clauses name the partnership board).
    governance = state["preview"].split("oversee this Agreement and the Schemes", 1)[1]
    assert governance.index("Health and Wellbeing Board") < governance.index(
        "Joint Commissioning Executive")
    assert call(f"{served}/a/{NAME}/list", {"field": "governance", "action": "up", "index": 0},
                X_CSRF_Token=csrf)[0] == 200  # refused at the field: nothing above the first
    assert call(f"{served}/a/{NAME}/list", {"field": "area", "action": "add"},
                X_CSRF_Token=csrf)[0] == 409  # not a list
    assert call(f"{served}/a/{NAME}/list", {"field": "approvals", "action": "add"})[0] == 403
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)[0] == 200
    after = file.read_text(encoding="utf-8")
    jce, hwb = before.index("  - key: jce"), before.index(
        "  # A committee of the Council: its own constitution")
    end = before.index("\n\n# Report, paras 7(b)")
    assert after == before[:jce] + before[hwb:end] + "\n" + before[jce:hwb].rstrip("\n") \
        + before[end:]


def test_a_budget_table_is_written_back_with_only_its_changed_rows(tmp_path: Path) -> None:
    from s75docs.web.budgets import grid_rows, parse_table, table_text

    text = ("\ufeffpartner,line,year,amount\r\nccg,\"A, quoted\",2022/23,\"£1,000\"\r\n"
            "council,B,2022/23,5\r\ncouncil,C,2022/23,7")
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    loaded, table = parse_table(path, "t.csv")
    rows = grid_rows(table)
    assert loaded == text and table_text(table, rows) == (text, [2, 3, 4])
    rows[1]["cells"][3] = "6.50"
    rows.append({"id": None, "cells": ["ccg", "New, with a comma", "2022/23", "1"]})
    del rows[0]
    new, ends = table_text(table, rows)
    assert new == ("\ufeffpartner,line,year,amount\r\ncouncil,B,2022/23,6.50\r\n"
                   "council,C,2022/23,7\r\nccg,\"New, with a comma\",2022/23,1")
    assert ends == [2, 3, 4]


def test_the_budget_grid_checks_at_the_cell_and_saves_only_the_changed_line(
        folder: Path, served: str) -> None:
    file = folder / NAME / "budgets" / "live-well.csv"
    before = file.read_text(encoding="utf-8")
    csrf = token(served)
    page = call(f"{served}/a/{NAME}/budget/0")[1]
    assert 'value="£62,000,000"' in page and "budgets/live-well.csv" in page
    rows = [{"id": i, "cells": cells} for i, cells in enumerate(_csv_cells(before))]
    rows[1]["cells"][3] = "12.345"
    answer = json.loads(call(f"{served}/a/{NAME}/budget/0/change", {"rows": rows},
                             X_CSRF_Token=csrf)[1])
    assert "more than two decimal places" in answer["cells"]["1:3"][0]["message"]
    assert call(f"{served}/a/{NAME}/budget/0/change", {"rows": rows})[0] == 403
    assert call(f"{served}/a/{NAME}/budget/0/save", {"rows": rows},
                X_CSRF_Token=csrf, Origin="http://evil.example")[0] == 403
    assert call(f"{served}/a/{NAME}/budget/9")[0] != 200  # only the tables the data names
    rows[0]["cells"][1] = "<b>x</b> {{x}}"
    call(f"{served}/a/{NAME}/budget/0/change", {"rows": rows}, X_CSRF_Token=csrf)
    page = call(f"{served}/a/{NAME}/budget/0")[1]
    assert 'value="&lt;b&gt;x&lt;/b&gt; {{x}}"' in page and "<b>x</b>" not in page
    rows[0]["cells"][1] = _csv_cells(before)[0][1]
    rows[1]["cells"][3] = "£22,000,000.01"
    status, text, _ = call(f"{served}/a/{NAME}/budget/0/save", {"rows": rows},
                           X_CSRF_Token=csrf)
    assert status == 200 and json.loads(text)["cells"] == {}
    after = file.read_text(encoding="utf-8")
    assert after == before.replace('"£22,000,000"', '"£22,000,000.01"')
    file.write_text(before, encoding="utf-8")  # changed on disk by someone else
    rows[1]["cells"][3] = "£22,000,000"
    status, text, _ = call(f"{served}/a/{NAME}/budget/0/save", {"rows": rows},
                           X_CSRF_Token=csrf)
    assert status == 409 and "£22,000,000.01" not in json.loads(text)["conflict"]["disk"]


def _csv_cells(text: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text)))[1:]


def _commit(folder: Path, message: str) -> None:
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    if not (folder / ".git").exists():
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", message], cwd=folder, check=True)


def test_the_history_shows_versions_and_their_changes_in_plain_words(folder: Path,
                                                                    served: str) -> None:
    page = call(f"{served}/a/{NAME}/history")[1]
    assert "not in a git repository" in page
    import subprocess

    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    assert "No commit has touched this folder" in call(f"{served}/a/{NAME}/history")[1]
    _commit(folder, "First draft <b>x</b>")
    file = folder / NAME / "agreement.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("notice: 6 months",
                                                             "notice: 9 months"), "utf-8")
    _commit(folder, "Nine months' notice")
    from s75docs.api import history

    commits = history(folder / NAME)
    assert commits is not None and [c.subject for c in commits] == [
        "Nine months' notice", "First draft <b>x</b>"]
    page = call(f"{served}/a/{NAME}/history")[1]
    assert "First draft &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    page = call(f"{served}/a/{NAME}/history?old={commits[1].sha}&new={commits[0].sha}")[1]
    diff = page.split('id="diff"', 1)[1]
    assert "6 months" in diff and "9 months" in diff
    assert "than <del>six</del><ins>nine</ins> months" in diff  # the words that changed
    page = call(f"{served}/a/{NAME}/history?old={commits[0].sha}")[1]
    assert "No changes." in page  # the latest version against the files as saved
    page = call(f"{served}/a/{NAME}/history?old=HEAD~1")[1]
    assert "choose a version from the folder" in page and 'id="diff"' not in page
    assert call(f"{served}/a/{NAME}/download/redline?rev=--output=x")[0] == 409
    status, _, headers = call(f"{served}/a/{NAME}/download/redline?rev={commits[1].sha}")
    assert status == 200 and f"redline-{commits[1].sha[:10]}.docx" in headers[
        "content-disposition"]


@pytest.mark.parametrize("example", ["haringey-2016", "oxfordshire-2022", "suffolk-bcf-2025"])
def test_reading_the_markdown_heading_by_heading_gives_the_same_tokens(example: str) -> None:
    """The preview reads again only the sections that changed (document/reader.read_tokens):
    that is only right while the pieces read as the whole does."""
    from s75docs.document.reader import _PARSER, read_tokens
    from s75docs.pipeline import prepare
    from s75docs.render.context import template_context
    from s75docs.render.environment import render_template

    prepared = prepare(ROOT / "examples" / example)
    markdown = render_template("agreement.md.j2", template_context(prepared.loaded.agreement),
                               prepared.dirs)

    def seen(tokens: Any) -> list[tuple[Any, ...]]:
        return [(t.type, t.tag, t.content, t.markup, t.attrs, t.level, t.nesting,
                 [(c.type, c.content, c.markup) for c in t.children or []]) for t in tokens]

    pieces = read_tokens(markdown)
    assert seen(pieces) == seen(_PARSER.parse(markdown))
    assert len(pieces) > 1000  # a real agreement, read in pieces


@contextlib.contextmanager
def browser_page(width: int = 1200) -> Iterator[Any]:
    """A page of Chromium (Debian's, driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser.new_page(viewport={"width": width, "height": 720})
        finally:
            browser.close()


def test_a_drafter_adds_removes_and_reorders_list_items_in_the_browser(
        folder: Path, served: str) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        page.goto(f"{served}/a/{NAME}")
        preview = page.locator("#preview")
        expect(preview).to_contain_text("19.1.1 the Joint Commissioning Executive")

        page.click('[aria-label="move governance[1] up"]')
        expect(preview).to_contain_text("19.1.1 the Oxfordshire Health and Wellbeing Board")
        expect(page.locator('[aria-label="move governance[0] up"]')).to_be_disabled()

        page.click('[data-field="approvals"] > button.add')
        added = page.locator('[data-field="approvals[2]"]')
        expect(added.locator('[data-field="approvals[2].body"] .messages')).to_contain_text(
            "at least 1 character")
        expect(added.locator('[data-field="approvals[2].partner"] select')).to_have_value(
            "council")  # the partners, to choose from
        expect(added.locator('[data-field="approvals[2].partner"] select')).to_be_focused()
        added.locator('[data-field="approvals[2].body"] .value').fill("Audit <b>x</b> {{x}}")
        added.locator('[data-field="approvals[2].body"] .value').press("Tab")
        added.locator('[data-field="approvals[2].date"] .value').fill("2022-03-10")
        added.locator('[data-field="approvals[2].date"] .value').press("Tab")
        expect(preview).to_contain_text(
            "The Council\u2019s Audit <b>x</b> {{x}} approved the arrangements in this "
            "Agreement on 10 March 2022.")
        assert preview.locator("b").count() == 0  # shown as typed, not as markup

        page.click('[aria-label="remove approvals[2]"]')
        expect(page.locator('[data-field="approvals[2]"]')).to_have_count(0)
        expect(preview).not_to_contain_text("Audit <b>x</b>")
        page.click("#save")
        expect(page.locator("#status")).to_have_text("saved")
    saved = (folder / NAME / "agreement.yaml").read_text(encoding="utf-8")
    original = (EXAMPLE / "agreement.yaml").read_text(encoding="utf-8")
    assert saved != original and sorted(saved.splitlines()) == sorted(original.splitlines())
    assert saved.index("  - key: hwb") < saved.index("  - key: jce")


def test_a_drafter_edits_a_budget_grid_in_the_browser(folder: Path, served: str) -> None:
    from playwright.sync_api import expect

    file = folder / NAME / "budgets" / "live-well.csv"
    before = file.read_bytes()
    with browser_page() as page:
        page.goto(f"{served}/a/{NAME}")
        page.click("#budget-0")
        total = page.locator("#total")
        expect(total).to_have_text("£190,585,000.00")
        amount = page.locator('[aria-label="row 2 amount"]')
        amount.fill("22,000,000.1")
        expect(total).to_have_text("£190,585,000.10")  # as typed, before any check
        amount.fill("12.345")
        expect(total).to_have_text("£168,585,000.00")
        expect(page.locator("#not-counted")).to_contain_text("1 amount(s) not counted")
        amount.press("Tab")
        cell = page.locator("#grid tbody tr").nth(1).locator('td[data-column="amount"]')
        expect(cell.locator(".messages")).to_contain_text("more than two decimal places")
        expect(page.locator("#counts")).to_contain_text("1 error(s)")
        amount.fill("£22,000,000.01")
        amount.press("Tab")
        expect(cell.locator(".messages")).to_be_empty()
        expect(total).to_have_text("£190,585,000.01")
        expect(page.locator("#dirty")).to_be_visible()
        if os.environ.get("S75DOCS_SCREENSHOT"):  # docs/workspace-budget.png, for the README
            shot = Path(os.environ["S75DOCS_SCREENSHOT"])
            page.screenshot(path=shot.with_name(f"{shot.stem}-budget{shot.suffix}"))
        page.click("#save")
        expect(page.locator("#status")).to_have_text("saved")
        expect(page.locator("#dirty")).to_be_hidden()
        saved = file.read_bytes()
        assert saved == before.replace(b'"\xc2\xa322,000,000"', b'"\xc2\xa322,000,000.01"')

        file.write_bytes(before)  # someone else puts the old figure back meanwhile
        amount.fill("£22,000,000.02")
        amount.press("Tab")
        page.click("#save")
        expect(page.locator("#conflict")).to_be_visible()
        expect(page.locator("#conflict-disk")).to_contain_text('"£22,000,000",pooled')
        expect(page.locator("#conflict-ours")).to_contain_text('"£22,000,000.02",pooled')
        page.click("#reload")
        expect(page.locator('[aria-label="row 2 amount"]')).to_have_value("£22,000,000")
        expect(total).to_have_text("£190,585,000.00")
    assert file.read_bytes() == before


def test_the_history_shows_a_diff_in_the_browser(folder: Path, served: str) -> None:
    from playwright.sync_api import expect

    _commit(folder, "First draft")
    file = folder / NAME / "agreement.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("notice: 6 months",
                                                             "notice: 9 months"), "utf-8")
    _commit(folder, "Nine months' notice")
    with browser_page() as page:
        page.goto(f"{served}/a/{NAME}")
        page.click("#history")
        expect(page.locator(".commits")).to_contain_text("Nine months' notice")
        page.click("text=changes in this version")
        diff = page.locator("#diff")
        expect(diff).to_contain_text("6 months")
        expect(diff.locator("del").first).to_have_text("six")
        expect(diff.locator("ins").first).to_have_text("nine")


def test_a_workbook_budget_is_read_only_with_a_note(folder: Path, served: str) -> None:
    import csv

    from openpyxl import Workbook

    agreement = folder / NAME  # changed before the workspace first opens it
    book = Workbook()
    with (agreement / "budgets" / "live-well.csv").open(encoding="utf-8", newline="") as table:
        for row in csv.reader(table):
            book.active.append(row)
    book.save(agreement / "budgets" / "live-well.xlsx")
    schedule = agreement / "schedules" / "live-well.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "budgets/live-well.csv", "budgets/live-well.xlsx"), encoding="utf-8")
    page = call(f"{served}/a/{NAME}/budget/0")[1]
    assert "budgets/live-well.xlsx" in page and "read-only in the workspace" in page
    assert 'id="grid"' not in page
    status, text, _ = call(f"{served}/a/{NAME}/budget/0/save", {"rows": []},
                           X_CSRF_Token=token(served))
    assert status == 409 and "read-only" in json.loads(text)["error"]


def post_raw(url: str, data: bytes, content_type: str, csrf: str) -> tuple[int, str, str]:
    """(status, text, content type) of a POST of ``data`` exactly as given."""
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": content_type, "X-CSRF-Token": csrf})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace"), \
                response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), \
            exc.headers.get("content-type", "")


def write_routes(folder: Path) -> list[str]:
    """Every route of the app that takes a POST, with its parameters filled in (a new
    parameter fails here, to be given a value)."""
    import re

    from starlette.routing import Route

    values = {"name": NAME, "index": "0"}
    return [re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], route.path)
            for route in create_app(folder).routes
            if isinstance(route, Route) and "POST" in (route.methods or ())]


BAD_BODIES = [  # (body, content type): not JSON, not UTF-8, not JSON's type, wrong shapes
    (b'{"field": "area", "value": ', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b'{"field": "area", "value": "Oxon"}', "text/plain"),
    (b'{"field": "area", "value": "Oxon"}', "application/x-www-form-urlencoded"),
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"{}", "application/json"),
    (b'{"field": 5, "value": ["x"], "index": "1", "action": 3, "rows": "x"}',
     "application/json"),
    (b'{"field": "area", "value": {"a": 1}, "open": "yes"}', "application/json"),
    (b'{"field": "approvals", "action": "add", "index": true}', "application/json"),
    (b'{"rows": [{"id": "x", "cells": [1]}]}', "application/json"),
    (b'{"rows": [{"id": 0}]}', "application/json"),
]


def test_every_write_route_answers_a_bad_body_with_400_not_500(folder: Path,
                                                               served: str) -> None:
    routes = write_routes(folder)
    assert f"/a/{NAME}/change" in routes and f"/a/{NAME}/budget/0/save" in routes
    before = {p: p.read_bytes() for p in (folder / NAME).rglob("*") if p.is_file()}
    csrf = token(served)
    for route in routes:
        for body, kind in BAD_BODIES:
            status, text, content_type = post_raw(served + route, body, kind, csrf)
            assert status < 500, (route, body, kind, text)
            if status == 400:
                assert content_type.startswith("application/json"), (route, body)
                assert json.loads(text)["error"] and "Traceback" not in text
            if body[:1] != b"{" or kind != "application/json" or b"\xff" in body:
                assert status == 400, (route, body, kind, status, text)
    assert {p: p.read_bytes() for p in (folder / NAME).rglob("*") if p.is_file()} == before


def test_a_redline_without_history_is_a_page_and_its_link_is_hidden(folder: Path,
                                                                    served: str) -> None:
    import subprocess

    page = call(f"{served}/a/{NAME}")[1]
    assert 'id="download-redline"' not in page and "No redline: not in git" in page
    status, text, headers = call(f"{served}/a/{NAME}/download/redline")  # the old link, kept
    assert status == 409 and headers["content-type"].startswith("text/html")
    assert "<h1>No redline</h1>" in text and "not in a git repository" in text
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    assert "No redline: no commit yet" in call(f"{served}/a/{NAME}")[1]
    text = call(f"{served}/a/{NAME}/download/redline")[1]
    assert "No commit has touched this folder" in text
    _commit(folder, "First draft")
    assert 'id="download-redline"' in call(f"{served}/a/{NAME}")[1]
    status, text, _ = call(f"{served}/a/{NAME}/download/redline?rev=<b>x</b>")
    assert status == 409 and "choose a version from the folder" in text and "<b>x</b>" not in text
    change(served, {"field": "termination.notice", "value": "six moons"}, token(served))
    status, text, headers = call(f"{served}/a/{NAME}/download/docx")
    assert status == 409 and headers["content-type"].startswith("text/html")
    assert "<h1>No .docx</h1>" in text and "correct them first" in text


def test_the_budget_grid_totals_by_financial_year_to_the_penny(folder: Path,
                                                               served: str) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        page.goto(f"{served}/a/{NAME}/budget/0")
        years = page.locator("#year-totals tr")
        expect(years).to_have_count(1)
        expect(years.nth(0)).to_have_text("2022/23£190,585,000.00")
        page.click("#add-row")
        expect(page.locator('[aria-label="row 7 year"]')).to_have_value("2022/23")
        page.locator('[aria-label="row 7 partner"]').fill("council")
        page.locator('[aria-label="row 7 year"]').fill("2023/24")
        # past 2**53 pence: a floating point sum would lose the penny
        page.locator('[aria-label="row 7 amount"]').fill("£123,456,789,012,345.67")
        expect(years).to_have_count(2)
        expect(years.nth(0)).to_have_text("2022/23£190,585,000.00")
        expect(years.nth(1)).to_have_text("2023/24£123,456,789,012,345.67")
        expect(page.locator("#total")).to_have_text("£123,456,979,597,345.67")
        expect(page.locator("#totals tr").nth(0)).to_have_text("council£123,456,886,012,345.67")
        page.locator('[aria-label="row 2 year"]').fill("2023/24")
        expect(years.nth(0)).to_have_text("2022/23£168,585,000.00")
        expect(years.nth(1)).to_have_text("2023/24£123,456,811,012,345.67")


def test_risk_shares_take_and_lose_partners_through_the_round_trip_writer(
        folder: Path, served: str) -> None:
    file = folder / NAME / "agreement.yaml"
    before = file.read_text(encoding="utf-8")
    csrf = token(served)

    def mapped(action: str, key: Any) -> tuple[int, dict[str, Any]]:
        status, text, _ = call(f"{served}/a/{NAME}/map", {
            "field": "risk_share.shares", "action": action, "key": key}, X_CSRF_Token=csrf)
        return status, json.loads(text)

    status, state = mapped("remove", "ccg")
    assert status == 200 and 'data-field="risk_share.shares.ccg"' not in state["form"]
    messages = [f["message"] for f in state["fields"]["risk_share.shares"]]
    assert "risk shares add up to 51%, not 100%" in messages  # as s75docs check says
    offered = state["form"].split('class="new-key"', 1)[1].split("</select>", 1)[0]
    assert "<option>ccg</option>" in offered and "council" not in offered
    status, state = mapped("add", "ccg")
    assert status == 200 and 'data-field="risk_share.shares.ccg"' in state["form"]
    assert 'class="new-key"' not in state["form"].split('data-field="risk_share.shares"')[1] \
        .split("</fieldset>")[0]  # every partner has a share: nothing left to add
    assert "percentage" in state["fields"]["risk_share.shares.ccg"][0]["message"]
    state = change(served, {"field": "risk_share.shares.ccg", "value": "49%"}, csrf)
    assert "risk_share.shares" not in state["fields"] and "the CCG: 49%" in state["preview"]
    for key in ("council", "nobody"):  # refused at the field, nothing changed
        status, state = mapped("add", key)
        assert status == 200 and "not changed" in state["fields"]["risk_share.shares"][0][
            "message"]
    assert mapped("remove", "nobody")[0] == 200
    assert mapped("add", 5)[0] == 400 and mapped("swap", "ccg")[0] == 409
    assert call(f"{served}/a/{NAME}/map", {"field": "area", "action": "add", "key": "ccg"},
                X_CSRF_Token=csrf)[0] == 409  # not a mapping
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)[0] == 200
    assert file.read_text(encoding="utf-8") == before  # out and back in: the file as it was
    mapped("remove", "council")
    mapped("remove", "ccg")
    state = change(served, {"field": "termination.notice", "value": "6 months"}, csrf)
    assert any("needs 'shares'" in f["message"] for f in state["fields"]["risk_share"])
    assert call(f"{served}/a/{NAME}/save", {}, X_CSRF_Token=csrf)[0] == 200
    after = file.read_text(encoding="utf-8")
    assert "  shares:" not in after and "    council: 51%" not in after
    assert sorted(set(before.splitlines()) - set(after.splitlines())) == [
        "    ccg: 49%", "    council: 51%", "  shares:"]


def test_a_drafter_gives_a_partner_a_risk_share_in_the_browser(folder: Path,
                                                               served: str) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        page.goto(f"{served}/a/{NAME}")
        shares = page.locator('[data-field="risk_share.shares"]')
        page.click('[aria-label="remove risk_share.shares.ccg"]')
        expect(shares.locator(":scope > .messages")).to_contain_text(
            "risk shares add up to 51%, not 100%")
        expect(page.locator('[data-field="risk_share.shares.ccg"]')).to_have_count(0)
        expect(shares.locator(".new-key")).to_have_value("ccg")  # the partner not listed
        shares.locator('button[data-map-action="add"]').click()
        entry = page.locator('[data-field="risk_share.shares.ccg"]')
        expect(entry.locator(".messages")).to_contain_text("give a percentage")
        expect(entry.locator(".value")).to_be_focused()
        expect(shares.locator(".new-key")).to_have_count(0)
        entry.locator(".value").fill("49%")
        entry.locator(".value").press("Tab")
        expect(shares.locator(":scope > .messages")).to_be_empty()
        expect(page.locator("#preview")).to_contain_text("the CCG: 49%")
        page.click("#save")
        expect(page.locator("#status")).to_have_text("saved")
    assert (folder / NAME / "agreement.yaml").read_bytes() == (
        EXAMPLE / "agreement.yaml").read_bytes()
