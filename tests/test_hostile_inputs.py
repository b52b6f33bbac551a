"""Hostile input that ``s75docs check`` on a committed folder cannot reach: firm templates,
command-line arguments, git revisions, files made at test time (50 MB, a FIFO), output folders.

The second half of the bad-input corpus (the first is tests/bad/, run by test_bad_inputs.py).
Every case runs the real command line in this process, in a fresh temporary folder holding the
agreement, a previous build in ``out/`` and whatever the case adds, and asserts:

- the exit code (1 for a refused input, 2 for a usage error);
- the message, and where there is one the file, field path and line on the same output line;
- no traceback and no "internal error": no exception escapes the command;
- nothing under the temporary folder was written, changed or removed (inputs, previous build,
  working directory), by content hash.

It also builds every case of tests/bad/ (check's corpus) and asserts the build fails the same way
and writes nothing, and checks that inputs which look odd but are legitimate (a UTF-8 BOM, a
negative amount, CRLF line ends) are accepted.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from s75docs.cli import cli
from s75docs.load.folder import load_agreement
from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
BAD = ROOT / "tests" / "bad"
README = ROOT / "tests" / "README.md"
FIFTY_MB = 50 * 1024 * 1024
REFERENCE = "minimal-2024"


# --- the case folder ----------------------------------------------------------------------------


@dataclass
class Folder:
    """The temporary folder of one case: ``agreement/`` (a copy of the minimal fixture),
    ``out/`` (a previous build), ``cwd/`` (the working directory) and anything a case adds."""

    base: Path

    @property
    def agreement(self) -> Path:
        return self.base / "agreement"

    @property
    def out(self) -> Path:
        return self.base / "out"

    def firm(self, files: dict[str, str]) -> Path:
        """A firm's template folder holding ``files``."""
        folder = self.base / "firm"
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    def repo(self) -> Path:
        """``repo/agreement`` committed in a fresh git repository; returns the agreement."""
        repo = self.base / "repo"
        shutil.copytree(FIXTURE, repo / "agreement", symlinks=True)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "first")
        return repo / "agreement"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test",
                    "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false",
                    *args], check=True, capture_output=True, env={**os.environ, **GIT_ENV})


GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: files by content hash, links by target, FIFOs and folders
    by kind (a FIFO is never opened)."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            key = str(path.relative_to(folder))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                state[key] = "link:" + os.readlink(path)
            elif stat.S_ISDIR(info.st_mode):
                state[key] = "dir"
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                state[key] = digest.hexdigest()
            else:
                state[key] = f"special:{stat.S_IFMT(info.st_mode)}"
    return state


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def big_file(path: Path, line: bytes) -> None:
    """A file of just over 50 MB of ``line`` repeated: real content, made at test time."""
    path.write_bytes(line * (FIFTY_MB // len(line) + 1))


# --- the cases ----------------------------------------------------------------------------------


@dataclass
class Hostile:
    name: str
    kind: str  # the fault class (tests/README.md counts them)
    description: str
    setup: Callable[[Folder], list[str]]  # prepares the folder, returns the command line
    message: str
    exit: int = 1
    file: str | None = None  # how the output names the file (e.g. agreement/budgets/pooled.csv)
    path: str | None = None
    line: int | None = None
    env: dict[str, str] = field(default_factory=dict)


def _template(text: str, name: str = "body/waiver.md.j2", command: str = "build"
              ) -> Callable[[Folder], list[str]]:
    """A firm's template folder overriding one clause with ``text``."""

    def setup(f: Folder) -> list[str]:
        firm = f.firm({name: text})
        extra = ["-o", str(f.out), "--format", "md"] if command == "build" else []
        return [command, str(f.agreement), "--templates", str(firm), *extra]

    return setup


def _linked_template(where: str) -> Callable[[Folder], list[str]]:
    """A template folder whose clause is a link to a file outside it: ``firm`` (--templates),
    ``agreement`` (the agreement's own ``templates:`` folder, shared data) or ``include`` (a
    clause including a linked file)."""

    def setup(f: Folder) -> list[str]:
        secret = f.base / "secret.txt"
        secret.write_text("SECRET: another client's file\n", encoding="utf-8")
        if where == "agreement":
            folder = f.agreement / "templates"
            text = (f.agreement / "agreement.yaml").read_text(encoding="utf-8")
            (f.agreement / "agreement.yaml").write_text(text + "templates: templates\n",
                                                        encoding="utf-8")
        else:
            folder = f.firm({"body/keep.md.j2": "kept\n"})
        (folder / "body").mkdir(parents=True, exist_ok=True)
        if where == "include":
            (folder / "body" / "waiver.md.j2").write_text("{% include 'body/notes.md.j2' %}\n",
                                                          encoding="utf-8")
            (folder / "body" / "notes.md.j2").symlink_to(secret)
        else:
            (folder / "body" / "waiver.md.j2").symlink_to(secret)
        extra = [] if where == "agreement" else ["--templates", str(folder)]
        return ["build", str(f.agreement), *extra, "-o", str(f.out), "--format", "md"]

    return setup


def _build(*extra: str) -> Callable[[Folder], list[str]]:
    return lambda f: ["build", str(f.agreement), "-o", str(f.out), *extra]


def _replace(name: str, make: Callable[[Path], None], command: str = "check"
             ) -> Callable[[Folder], list[str]]:
    """Replace file ``name`` of the agreement using ``make``, then run ``command`` on it."""

    def setup(f: Folder) -> list[str]:
        target = f.agreement / name
        target.unlink()
        make(target)
        if command == "build":
            return ["build", str(f.agreement), "-o", str(f.out), "--format", "md"]
        return ["check", str(f.agreement)]

    return setup


def _budget_link_in_history(f: Folder) -> list[str]:
    agreement = f.repo()
    budget = agreement / "budgets" / "pooled.csv"
    budget.unlink()
    budget.symlink_to("/etc/passwd")
    git(agreement.parent, "commit", "-q", "-a", "-m", "a link out")
    budget.unlink()
    shutil.copy(FIXTURE / "budgets" / "pooled.csv", budget)
    return ["diff", str(agreement), "--rev", "HEAD"]


def _not_in_rev(f: Folder) -> list[str]:
    agreement = f.repo()
    later = agreement.parent / "later"
    shutil.copytree(FIXTURE, later)
    return ["diff", str(later), "--rev", "HEAD"]


def _output_under_a_file(f: Folder) -> list[str]:
    (f.base / "a-file").write_text("not a folder\n", encoding="utf-8")
    return ["build", str(f.agreement), "-o", str(f.base / "a-file" / "build"), "--format", "md"]


def _destination_is(kind: str) -> Callable[[Folder], list[str]]:
    """out/<reference> is a file of the user's, or a link to a folder elsewhere: never replaced."""

    def setup(f: Folder) -> list[str]:
        destination = f.out / REFERENCE
        shutil.rmtree(destination)
        if kind == "file":
            destination.write_text("the user's own notes\n", encoding="utf-8")
        else:
            (f.base / "elsewhere").mkdir()
            (f.base / "elsewhere" / "keep.md").write_text("keep\n", encoding="utf-8")
            destination.symlink_to(f.base / "elsewhere")
        return ["build", str(f.agreement), "-o", str(f.out), "--format", "md"]

    return setup


def _fifo(f: Folder) -> list[str]:
    budget = f.agreement / "budgets" / "pooled.csv"
    budget.unlink()
    os.mkfifo(budget)
    return ["check", str(f.agreement)]


def _folder_agreement(f: Folder) -> list[str]:
    (f.agreement / "agreement.yaml").unlink()
    (f.agreement / "agreement.yaml").mkdir()
    return ["check", str(f.agreement)]


def _xlsx_50mb(f: Folder) -> list[str]:
    edit(f.agreement / "schedules" / "pooled.yaml", "budgets/pooled.csv", "budgets/pooled.xlsx")
    (f.agreement / "budgets" / "pooled.csv").unlink()
    big_file(f.agreement / "budgets" / "pooled.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4)
    return ["check", str(f.agreement)]


LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
A = "agreement/agreement.yaml"
S = "agreement/schedules/pooled.yaml"
B = "agreement/budgets/pooled.csv"

HOSTILE: list[Hostile] = [
    # --- a firm's templates ------------------------------------------------------------------
    Hostile("template-python-internals", "templates", "a clause reaching Python's internals",
            _template("Waiver.\n{{ ''.__class__.__mro__ }}\n"),
            "template tried something unsafe and was stopped", file="body/waiver.md.j2", line=2),
    Hostile("template-subclasses", "templates", "the classic sandbox escape via __subclasses__",
            _template("{{ ''.__class__.__mro__[1].__subclasses__() }}\n"),
            "template tried something unsafe and was stopped", file="body/waiver.md.j2", line=1),
    Hostile("template-globals", "templates", "reaching module globals through a helper",
            _template("{{ cycler.__init__.__globals__.os.system('touch pwned') }}\n"),
            "template tried something unsafe and was stopped", file="body/waiver.md.j2", line=1),
    Hostile("template-private-context", "templates", "the template's private context",
            _template("{{ self._TemplateReference__context }}\n"),
            "template tried something unsafe and was stopped", file="body/waiver.md.j2", line=1),
    Hostile("template-missing-variable", "templates", "a clause naming a value that is not there",
            _template("## Waiver\n\n1. {{ no_such_value }}\n"),
            "'no_such_value' is undefined", file="body/waiver.md.j2", line=3),
    Hostile("template-syntax-error", "templates", "an unfinished {% if %}",
            _template("## Waiver\n{% if %}\n"), "template syntax error",
            file="body/waiver.md.j2", line=2),
    Hostile("template-endless-loop", "templates", "10^10 iterations, stopped by the time limit",
            _template(LOOP), "took longer than 0.5 seconds (stopped while rendering)",
            file="body/waiver.md.j2",
            line=1, env={"S75DOCS_RENDER_SECONDS": "0.5"}),
    Hostile("template-huge-string", "templates", "a gigabyte string in one operation",
            _template("{{ 'x' * 10**9 }}\n"), "too large for a template",
            file="body/waiver.md.j2", line=1),
    Hostile("template-huge-power", "templates", "a number with a hundred million digits",
            _template("{{ 10 ** 100000000 }}\n"), "the power is too large",
            file="body/waiver.md.j2", line=1),
    Hostile("template-huge-padding", "templates", "a string padded to a gigabyte",
            _template("{{ 'x'.center(10**9) }}\n"), "too large for a template",
            file="body/waiver.md.j2", line=1),
    Hostile("template-huge-range", "templates", "range() over a billion",
            _template("{% for i in range(10**9) %}{% endfor %}\n"), "Range too big",
            file="body/waiver.md.j2", line=1),
    Hostile("template-endless-recursion", "templates", "a macro that calls itself for ever",
            _template("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n"),
            "template failed", file="body/waiver.md.j2"),
    Hostile("template-include-outside", "templates", "including a file outside the folders",
            _template("{% include '../../../../../etc/passwd' %}\n"), "template not found"),
    Hostile("template-link-out", "templates", "a firm's clause that links to a file elsewhere",
            _linked_template("firm"), "body/waiver.md.j2 in", file="body/waiver.md.j2"),
    Hostile("template-link-out-in-agreement", "templates", "an agreement's own templates: "
            "folder holding a link out", _linked_template("agreement"), "is a link to",
            file="body/waiver.md.j2"),
    Hostile("template-include-link-out", "templates", "including a linked file",
            _linked_template("include"), "is a link to", file="body/notes.md.j2"),
    Hostile("template-concat-doubling", "templates", "a string doubled with ~ in a loop",
            _template("{% set ns = namespace(s='x') %}\n{% for i in range(40) %}"
                      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n"),
            "'~' would hold over 1,000,000", file="body/waiver.md.j2", line=2),
    Hostile("template-plus-doubling", "templates", "a list doubled with + in a loop",
            _template("{% set ns = namespace(s=[0]) %}\n{% for i in range(40) %}"
                      "{% set ns.s = ns.s + ns.s %}{% endfor %}\n"),
            "'+' would hold over 1,000,000", file="body/waiver.md.j2", line=2),
    Hostile("template-format-width", "templates", "str.format padding to a gigabyte",
            _template("{{ '{:>1000000000}'.format('x') }}\n"), "format() would build too much",
            file="body/waiver.md.j2", line=1),
    Hostile("template-percent-width", "templates", "% formatting padding to a gigabyte",
            _template("{{ '%1000000000s' % 'x' }}\n"), "'%' would build too much",
            file="body/waiver.md.j2", line=1),
    Hostile("template-format-filter", "templates", "the format filter padding to a gigabyte",
            _template("{{ '%1000000000s'|format('x') }}\n"),
            "the 'format' filter would build too much", file="body/waiver.md.j2", line=1),
    Hostile("template-replace-growth", "templates", "replace turning a megabyte into a gigabyte",
            _template("{{ ('x' * 1000000)|replace('x', 'y' * 1000) }}\n"),
            "the 'replace' filter with inputs this large", file="body/waiver.md.j2", line=1),
    Hostile("template-center-filter", "templates", "the center filter to a gigabyte",
            _template("{{ 'x'|center(10**9) }}\n"), "the 'center' filter with inputs this large",
            file="body/waiver.md.j2", line=1),
    Hostile("template-join-growth", "templates", "joining with a long separator",
            _template("{{ ('y' * 1000).join(['x' * 100000] * 5) }}\n"),
            "join() with inputs this large", file="body/waiver.md.j2", line=1),
    Hostile("template-nested-lists", "templates", "lists of lists printed through ~",
            _template("{% set a = ['x' * 100000] %}{% set b = [a, a, a, a, a, a, a, a] %}\n"
                      "{% set c = [b, b, b, b, b, b, b, b] %}{{ c ~ '' }}\n"),
            "'~' would hold over 1,000,000", file="body/waiver.md.j2", line=2),
    Hostile("template-output-loop", "templates", "a 1,000 x 1,000 loop printing 40 MB",
            _template("Waiver.\n{% for i in range(1000) %}{% for j in range(1000) %}"
                      "{{ 'forty characters, printed by a loop...' }}{% endfor %}{% endfor %}\n"),
            "printed over 30,000,000 characters", file="body/waiver.md.j2", line=2),
    Hostile("template-macro-loop", "templates", "the same loop inside a macro",
            _template("{% macro m() %}{% for i in range(1000) %}\n{% for j in range(1000) %}"
                      "forty characters, printed in a macro....{% endfor %}{% endfor %}"
                      "{% endmacro %}{{ m() }}\n"),
            "printed over 30,000,000 characters", file="body/waiver.md.j2", line=2),
    Hostile("template-list-growth", "templates", "a list grown by extend() in a loop",
            _template("{% set l = [] %}{% set big = range(100000)|list %}\n"
                      "{% for i in range(100) %}{% set _ = l.extend(big) %}{% endfor %}\n"),
            "too large for a template", file="body/waiver.md.j2", line=2),
    Hostile("template-check-command", "templates", "check (not build) with a hostile clause",
            _template("{{ ''.__class__ }}\n", command="check"),
            "template tried something unsafe and was stopped", file="body/waiver.md.j2", line=1),
    Hostile("render-seconds-garbage", "templates", "S75DOCS_RENDER_SECONDS is not a number",
            _build("--format", "md"), "S75DOCS_RENDER_SECONDS='soon'",
            env={"S75DOCS_RENDER_SECONDS": "soon"}),
    # --- command-line arguments --------------------------------------------------------------
    Hostile("build-unknown-format", "command-line", "--format rtf",
            _build("--format", "rtf"), "unknown format 'rtf'", exit=2),
    Hostile("build-empty-format", "command-line", "--format with no format in it",
            _build("--format", " , "), "no format given", exit=2),
    Hostile("build-missing-path", "command-line", "an agreement folder that does not exist",
            lambda f: ["build", str(f.base / "nowhere"), "-o", str(f.out)],
            "nowhere", exit=2),  # the path named back; the wording is click's
    Hostile("build-no-path", "command-line", "build with no agreement",
            lambda f: ["build", "-o", str(f.out)], "PATHS", exit=2),
    Hostile("build-unknown-option", "command-line", "a misspelt option",
            _build("--formats", "md"), "--formats", exit=2),
    Hostile("check-templates-is-a-file", "command-line", "--templates naming a file",
            lambda f: ["check", str(f.agreement), "--templates",
                       str(f.agreement / "agreement.yaml")], "--templates", exit=2),
    Hostile("diff-new-and-rev", "command-line", "both NEW and --rev",
            lambda f: ["diff", str(f.agreement), str(f.agreement), "--rev", "HEAD"],
            "not both or neither", exit=2),
    Hostile("diff-neither", "command-line", "neither NEW nor --rev",
            lambda f: ["diff", str(f.agreement)], "not both or neither", exit=2),
    Hostile("diff-rev-three-dots", "command-line", "--rev with git's symmetric difference",
            lambda f: ["diff", str(f.agreement), "--rev", "v1...HEAD"], "write OLD..NEW", exit=2),
    Hostile("diff-rev-no-old", "command-line", "--rev ..HEAD",
            lambda f: ["diff", str(f.agreement), "--rev", "..HEAD"], "write OLD..NEW", exit=2),
    Hostile("vary-impossible-date", "command-line", "--date 2024-13-01",
            lambda f: ["vary", str(f.agreement), str(f.agreement), "--date", "2024-13-01",
                       "-o", str(f.out / "variation")], "is not a date in the calendar", exit=2),
    Hostile("vary-date-9999", "command-line", "--date 9999-12-31 (year 10000 a day later)",
            lambda f: ["vary", str(f.agreement), str(f.agreement), "--date", "9999-12-31",
                       "-o", str(f.out / "variation")], "is not in the years 1900 to 2999",
            exit=2),
    Hostile("vary-reason-escape", "command-line", "--reason carrying a terminal escape (ESC)",
            lambda f: ["vary", str(f.agreement), str(f.agreement), "--date", "2024-06-01",
                       "--reason", "to vary it\x1b[2J", "-o", str(f.out / "variation")],
            "holds the control character 0x1b", exit=2),
    Hostile("succeed-scheme-bell", "command-line", "--scheme carrying BEL",
            lambda f: ["succeed", str(f.agreement), "--partner", "icb", "--successor",
                       str(f.agreement / "agreement.yaml"), "--date", "2024-06-01",
                       "--scheme", "the scheme\x07", "-o", str(f.base / "next")],
            "holds the control character 0x07", exit=2),
    Hostile("redline-author-escape", "command-line", "--author setting the terminal's title",
            lambda f: ["redline", str(f.agreement), str(f.agreement), "--author",
                       "\x1b]0;pwned\x07", "-o", str(f.base / "redline.docx")],
            "holds the control character 0x1b", exit=2),
    Hostile("diff-rev-escape", "command-line", "--rev carrying a terminal escape",
            lambda f: ["diff", str(f.agreement), "--rev", "HEAD\x1b[2J"],
            "holds the control character 0x1b", exit=2),
    # --- git revisions -----------------------------------------------------------------------
    Hostile("rev-nonexistent", "git-revisions", "a revision that does not exist",
            lambda f: ["diff", str(f.repo()), "--rev", "no-such-tag"],
            "revision 'no-such-tag' is not a commit", exit=2),
    Hostile("rev-range-bad-end", "git-revisions", "a range whose second revision does not exist",
            lambda f: ["diff", str(f.repo()), "--rev", "HEAD..no-such-branch"],
            "revision 'no-such-branch' is not a commit", exit=2),
    Hostile("rev-beyond-history", "git-revisions", "HEAD~99 in a one-commit history",
            lambda f: ["diff", str(f.repo()), "--rev", "HEAD~99"],
            "revision 'HEAD~99' is not a commit", exit=2),
    Hostile("rev-option-injection", "git-revisions", "a revision that is a git option",
            lambda f: ["diff", str(f.repo()), "--rev=--output=/tmp/s75docs-pwned"],
            "is not a revision name", exit=2),
    Hostile("rev-command-substitution", "git-revisions", "a revision holding shell syntax",
            lambda f: ["diff", str(f.repo()), "--rev", "$(touch pwned)"], "is not a commit", exit=2),
    Hostile("rev-outside-repository", "git-revisions", "--rev on a folder that is not in git",
            lambda f: ["diff", str(f.agreement), "--rev", "HEAD"],
            "is not in a git repository", env={"GIT_CEILING_DIRECTORIES": "/"}, exit=2),
    Hostile("rev-folder-not-committed", "git-revisions", "the folder did not exist at the revision",
            _not_in_rev, "does not exist at revision 'HEAD'", exit=2),
    Hostile("rev-link-out-in-history", "git-revisions", "a revision whose budget table is a link "
            "to /etc/passwd", _budget_link_in_history, "is a link to an absolute path", exit=2),
    # --- files made at test time ---------------------------------------------------------------
    Hostile("agreement-50mb", "files", "a 50 MB agreement.yaml (comment lines)",
            _replace("agreement.yaml", lambda p: big_file(p, b"# padding " * 10 + b"\n")),
            "inputs are limited to 5,242,880", file=A),
    Hostile("schedule-50mb", "files", "a 50 MB schedule file",
            _replace("schedules/pooled.yaml", lambda p: big_file(p, b"key: pooled\n")),
            "inputs are limited to 5,242,880", file=S),
    Hostile("budget-csv-50mb", "files", "a 50 MB budget table of valid-looking rows",
            _replace("budgets/pooled.csv", lambda p: big_file(
                p, b"icb,Wheelchair service,2024/25,1.00,revenue\n")),
            "inputs are limited to 5,242,880", file=B),
    Hostile("budget-xlsx-50mb", "files", "a 50 MB file named .xlsx",
            _xlsx_50mb, "inputs are limited to 5,242,880", file="agreement/budgets/pooled.xlsx"),
    Hostile("budget-50mb-build", "files", "a 50 MB budget table, built rather than checked",
            _replace("budgets/pooled.csv", lambda p: big_file(p, b"x,y\n"), command="build"),
            "inputs are limited to 5,242,880", file=B),
    Hostile("budget-fifo", "files", "a budget table that is a named pipe (would block a reader)",
            _fifo, "is not a regular file", file=S, path="budget_files[0]", line=27),
    Hostile("agreement-yaml-is-a-folder", "files", "agreement.yaml is a folder",
            _folder_agreement, "no agreement.yaml in this folder"),
    # --- the output folder ---------------------------------------------------------------------
    Hostile("output-under-a-file", "output", "-o names a folder inside a file",
            _output_under_a_file, "cannot write the outputs"),
    Hostile("output-destination-is-a-file", "output", "out/<reference> is the user's file",
            _destination_is("file"), f"{REFERENCE} is a file, not an output folder"),
    Hostile("output-destination-is-a-link", "output", "out/<reference> links to another folder",
            _destination_is("link"), f"{REFERENCE} is a link, not an output folder"),
]


def test_the_bounds_leave_ordinary_templates_alone(tmp_path: Path) -> None:
    """The sandbox's size bounds refuse only the huge: everyday template arithmetic renders."""
    from s75docs.render.environment import render_template

    (tmp_path / "t.md.j2").write_text(
        "{{ '{:,}'.format(1500000) }}|{{ '-' * 3 }}|{{ 2 ** 10 }}|{{ 1500000 * 12 }}|"
        "{{ 'x'.ljust(3) }}|{{ ([0] * 2) | length }}", encoding="utf-8")
    out = render_template("t.md.j2", {}, [tmp_path])  # printed values are Markdown-escaped
    assert out == "1,500,000|\\-\\-\\-|1024|18000000|x |2"


def test_case_names_are_unique() -> None:
    names = [case.name for case in HOSTILE]
    assert len(set(names)) == len(names)


# --- running a case -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real build of the fixture, copied into each case's out/ as the previous outputs."""
    out = tmp_path_factory.mktemp("previous")
    build_agreement(FIXTURE, out, formats=("md",))
    return out


def make_folder(base: Path, previous: Path) -> Folder:
    folder = Folder(base)
    shutil.copytree(FIXTURE, folder.agreement, symlinks=True)
    shutil.copytree(previous, folder.out, symlinks=True)
    (base / "cwd").mkdir()
    return folder


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None
            ) -> tuple[int, str, BaseException | None]:
    """The command line, in this process, from ``cwd``: exit code, all output, any exception
    that escaped (None, or the SystemExit of a normal exit)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, obj={}, env={"COLUMNS": "1000", **(env or {})})
    finally:
        os.chdir(old)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output, escaped


def assert_clean_failure(code: int, output: str, escaped: BaseException | None,
                         expect_exit: int, message: str) -> None:
    assert escaped is None, f"an exception escaped: {escaped!r}\n{output}"
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert code == expect_exit, output
    assert message in output, output


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_hostile_input(case: Hostile, tmp_path: Path, previous_build: Path) -> None:
    folder = make_folder(tmp_path, previous_build)
    args = case.setup(folder)
    before = snapshot(tmp_path)

    code, output, escaped = run_cli(args, tmp_path / "cwd", case.env)

    assert_clean_failure(code, output, escaped, case.exit, case.message)
    if case.file or case.path or case.line:
        where = (case.file or "") + (f":{case.line}" if case.line is not None else "")
        rows = [row for row in output.splitlines() if case.message in row]
        assert any(where in row and (case.path or "") in row for row in rows), \
            f"no line names {where} {case.path or ''}:\n{output}"
    after = snapshot(tmp_path)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"files written or changed: {changed}"
    assert not (tmp_path.parent / "pwned").exists() and not (tmp_path / "cwd" / "pwned").exists()


# --- check's corpus, built ----------------------------------------------------------------------

CHECK_CASES = sorted(path.parent for path in BAD.glob("*/expect.yaml"))


def _expect(case: Path) -> dict[str, object]:
    return yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))


BUILDABLE = [case for case in CHECK_CASES if not _expect(case).get("args")]


@pytest.mark.parametrize("case", BUILDABLE, ids=[c.name for c in BUILDABLE])
def test_bad_case_builds_nothing(case: Path, tmp_path: Path) -> None:
    """``build`` refuses each of check's bad cases with the same message and writes nothing."""
    expect = _expect(case)
    out = tmp_path / "out"
    before = snapshot(case)
    code, output, escaped = run_cli(["build", str(case), "-o", str(out), "--format", "md,docx"],
                                    tmp_path)
    assert_clean_failure(code, output, escaped, 1, str(expect["message"]))
    assert not out.exists() or not any(out.iterdir()), sorted(map(str, out.rglob("*")))
    assert snapshot(case) == before


# --- odd but legitimate -------------------------------------------------------------------------


def _bom(name: str) -> Callable[[Path], None]:
    def step(folder: Path) -> None:
        path = folder / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return step


def _crlf(folder: Path) -> None:
    for name in ("agreement.yaml", "schedules/pooled.yaml", "budgets/pooled.csv"):
        path = folder / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def _negative(folder: Path) -> None:
    # A reduction of £1,000 in the amount column: a legitimate negative, not a formula.
    edit(folder / "budgets" / "pooled.csv", '"200,000.00"', "-1000")
    schedule = folder / "schedules" / "pooled.yaml"
    edit(schedule, 'amount: "£600,000"', 'amount: "£399,000"')
    text = schedule.read_text(encoding="utf-8").replace('"£1,250,000.50"', '"£1,049,000.50"')
    schedule.write_text(text, encoding="utf-8")


def _inner_hyphen(folder: Path) -> None:
    edit(folder / "budgets" / "pooled.csv", "icb,Wheelchair service",
         'icb,"Wheelchair service - repairs, =not a formula here"')


def _workbook(sheet_state: str, named: bool = False) -> Callable[[Path], None]:
    """The fixture's lines in sheet Budget of a workbook that also holds a sheet "Old" (in
    ``sheet_state``, first) with other figures: only Budget may be read."""

    def step(folder: Path) -> None:
        make = _make_module()
        make._xlsx(make.XLSX_ROWS, make._other_sheet(sheet_state))(folder)
        if named:
            edit(folder / "schedules" / "pooled.yaml", "  - budgets/pooled.xlsx",
                 "  - {file: budgets/pooled.xlsx, sheet: Budget}")

    return step


def _yaml_lookalikes(folder: Path) -> None:
    # Text YAML 1.1 would have typed: an organisation code 0100 (octal 64), a version 1:30.
    edit(folder / "agreement.yaml", "    code: QXX", "    code: 0100")
    edit(folder / "agreement.yaml", "version: Draft (1)", "version: 1:30")


ACCEPTED: dict[str, Callable[[Path], None]] = {
    "xlsx-hidden-first-sheet": _workbook("hidden"),
    "xlsx-very-hidden-first-sheet": _workbook("veryHidden"),
    "xlsx-named-visible-sheet": _workbook("visible", named=True),
    "yaml-1.1-lookalikes-stay-text": _yaml_lookalikes,
    "bom-agreement": _bom("agreement.yaml"),
    "bom-schedule": _bom("schedules/pooled.yaml"),
    "bom-csv": _bom("budgets/pooled.csv"),
    "crlf-line-ends": _crlf,
    "negative-amount": _negative,
    "hyphen-and-equals-inside-text": _inner_hyphen,
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_input(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "agreement"
    shutil.copytree(FIXTURE, folder)
    ACCEPTED[name](folder)
    loaded = load_agreement(folder)
    [schedule] = loaded.agreement.schedules
    first = schedule.contributions[0]
    assert (first.partner, first.line) == ("council", "Equipment purchase")  # BOM not in a name
    if name == "negative-amount":
        assert schedule.contributions[1].amount == Decimal("-1000")
    if name.startswith("xlsx-"):  # the visible sheet's figures, not the other sheet's
        assert [line.amount for line in schedule.contributions] == [
            Decimal("400000"), Decimal("200000"), Decimal("500000.25"), Decimal("150000.25")]
    if name == "yaml-1.1-lookalikes-stay-text":
        assert loaded.agreement.partners[1].code == "0100"
        assert loaded.agreement.version == "1:30"
    code, output, escaped = run_cli(["check", str(folder)], tmp_path)
    assert escaped is None and code == 0, output
    assert "0 error(s)" in output


def test_vary_and_succeed_keep_text_yaml_would_type(tmp_path: Path) -> None:
    """The data vary and succeed write is re-read by our loader: an organisation code 0100 and
    a version 1:30 stay as typed (yaml.safe_load made them 64 and 90)."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(FIXTURE, old)
    _yaml_lookalikes(old)
    edit(old / "agreement.yaml", "  - key: council\n", "  - key: council\n    code: 0300\n")
    shutil.copytree(old, new)
    edit(new / "agreement.yaml", "notice: 6 months", "notice: 9 months")
    successor = tmp_path / "successor.yaml"
    successor.write_text("key: icb2\nname: NHS Another ICB\ndefined_term: ICB\nkind: icb\n"
                         "address: 1 Road\ncode: 0200\nexecution:\n  method: signatories\n"
                         "  signatories:\n    - post: Chief Executive\n", encoding="utf-8")
    runs = [["vary", str(old), str(new), "--date", "2024-06-01", "-o", str(tmp_path / "deed"),
             "--format", "md"],
            ["succeed", str(old), "--partner", "icb", "--successor", str(successor), "--date",
             "2024-06-01", "-o", str(tmp_path / "next"), "--deed-dir",
             str(tmp_path / "deeds"), "--format", "md"]]
    for args in runs:
        code, output, escaped = run_cli(args, tmp_path)
        assert escaped is None and code == 0, output
    varied = load_agreement(tmp_path / "deed" / "data").agreement
    assert (varied.version, varied.partners[1].code) == ("1:30", "0100")
    succeeded = load_agreement(tmp_path / "next").agreement
    assert succeeded.partners[0].code == "0300"  # untouched by the succession: kept as typed
    assert [p.code for p in succeeded.partners][1] == "0200"


def test_a_far_cell_is_read_without_visiting_the_sheet() -> None:
    """One cell at E1048576: the reader visits the cells the file holds, not the sheet's extent
    (openpyxl's iter_rows would make a million rows of cells)."""
    import time
    import tracemalloc

    from s75docs.errors import S75Error
    from s75docs.load.budgets import read_budget_table

    case = BAD / "xlsx-far-cell"
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(S75Error, match="E1048576"):
            read_budget_table(case / "budgets" / "pooled.xlsx", "pooled.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"{peak:,} bytes"
    assert time.perf_counter() - start < 5


# --- tracebacks: never for a user error, and shown with --debug -----------------------------------


def _subprocess(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "s75docs", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
                               **(env or {})})


@pytest.mark.parametrize("command", ["diff", "build"])
def test_debug_shows_the_traceback_of_a_user_error(command: str, tmp_path: Path) -> None:
    bad = str(BAD / "money-nan")
    args = [bad, str(FIXTURE)] if command == "diff" else [bad, "-o", str(tmp_path / "out")]
    plain = _subprocess(command, *args)
    assert plain.returncode == (2 if command == "diff" else 1)  # diff: 1 means "differences"
    assert "Traceback" not in plain.stdout + plain.stderr
    assert "'NaN' is not an amount of money" in plain.stderr
    debug = _subprocess("--debug", command, *args)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "S75Error" in debug.stderr
    assert "'NaN' is not an amount of money" in debug.stderr


SUBPROCESS_SAMPLE = ["template-python-internals", "template-endless-loop", "build-unknown-format",
                     "rev-link-out-in-history", "budget-csv-50mb", "output-under-a-file"]


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_no_traceback_from_the_real_command(name: str, tmp_path: Path,
                                            previous_build: Path) -> None:
    """The in-process runs above, as a user runs them: a process, its stderr scanned."""
    [case] = [c for c in HOSTILE if c.name == name]
    folder = make_folder(tmp_path, previous_build)
    args = case.setup(folder)
    run = _subprocess(*args, cwd=tmp_path / "cwd", env=case.env)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.returncode == case.exit and case.message in run.stdout + run.stderr


# --- the corpus, counted --------------------------------------------------------------------------


def _make_module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BAD))
    try:
        import _make  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BAD))
    return _make


def corpus_counts() -> dict[str, tuple[int, int]]:
    """Cases per fault class: (in tests/bad/, run by ``check``; here, in HOSTILE)."""
    committed = Counter(case.kind for case in _make_module().CASES)
    generated = Counter(case.kind for case in HOSTILE)
    return {kind: (committed[kind], generated[kind])
            for kind in sorted(committed.keys() | generated.keys())}


ROW = re.compile(r"^\| `([a-z-]+)` \|[^|]*\| (\d+) \| (\d+) \| (\d+) \|$", re.M)
TOTAL = re.compile(r"^\| \*\*total\*\* \|[^|]*\| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| "
                   r"\*\*(\d+)\*\* \|$", re.M)


def test_readme_counts_match_the_corpus() -> None:
    """tests/README.md lists the cases per fault class; it must say what the corpus holds, so
    that releases can be compared (print the table with
    ``.venv/bin/python tests/test_hostile_inputs.py``)."""
    text = README.read_text(encoding="utf-8")
    counts = corpus_counts()
    listed = {kind: (int(a), int(b)) for kind, a, b, _ in ROW.findall(text)}
    assert listed == counts, "tests/README.md is out of date; the table is:\n" + readme_table()
    total = TOTAL.search(text)
    assert total, readme_table()
    assert int(total.group(3)) == sum(a + b for a, b in counts.values()) >= 60


def readme_table() -> str:
    titles = {**HOSTILE_KINDS, **_make_module().KINDS}
    counts = corpus_counts()
    rows = ["| class | what | tests/bad | generated | cases |", "| --- | --- | ---: | ---: | ---: |"]
    rows += [f"| `{kind}` | {titles[kind]} | {a} | {b} | {a + b} |"
             for kind, (a, b) in counts.items()]
    a, b = (sum(c[i] for c in counts.values()) for i in (0, 1))
    rows.append(f"| **total** | | **{a}** | **{b}** | **{a + b}** |")
    return "\n".join(rows)


HOSTILE_KINDS = {  # titles of the classes only this file has
    "templates": "a firm's templates: sandbox escapes, links out, missing values, syntax, "
                 "runaway work and size",
    "git-revisions": "revisions for diff --rev: missing, malformed, hostile history",
    "output": "output folders that cannot be written",
}


if __name__ == "__main__":
    print(readme_table())
