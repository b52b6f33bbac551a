"""The workspace's web app: a thin Starlette layer over :mod:`s75docs.web.workspace`.

Security, for a server that can write a solicitor's files: it listens on 127.0.0.1; requests
whose Host is not this machine are refused (a page elsewhere cannot reach it by DNS rebinding);
every write carries the page's CSRF token in a header, which another site cannot read or set;
pages are Jinja2 with autoescaping and a Content-Security-Policy that runs only our own script;
agreements are named by the folders found at start-up, never by a path from the request, and
saving writes only the agreement.yaml that was loaded, through the one atomic writer.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from s75docs.api import diff, history
from s75docs.errors import Finding, S75Error
from s75docs.web.workspace import Editing, State, changed_words, find_agreements, summarise

LOCAL_HOSTS = ("127.0.0.1", "localhost")
_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOWNLOADS = {"docx": _WORD, "pdf": "application/pdf", "redline": _WORD}
MAX_ROWS, MAX_COLUMNS = 100_000, 50  # a grid's rows and cells: a budget table, not a database
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class UnknownAgreementError(Exception):
    """A name that is not one of the folder's agreements."""


class BadRequestError(Exception):
    """A write whose body is not the JSON its route takes: answered 400, with what was wrong."""


# A change's answers and the JSON type each must have (the page script sends these).
CHANGE_TYPES: dict[str, type] = {"field": str, "value": str, "checked": bool, "open": bool,
                                 "note": str}


class Workspace:
    """The folder served, the agreements in it and those open for editing."""

    def __init__(self, folder: Path, build_dir: Path):
        self.folder, self.build_dir = folder, build_dir
        self.token = secrets.token_urlsafe(32)
        self.open: dict[str, Editing] = {}
        self.lock = threading.Lock()
        self.pages = Environment(loader=PackageLoader("s75docs.web", "templates"),
                                 autoescape=select_autoescape(default=True),
                                 trim_blocks=True, lstrip_blocks=True)
        self.pages.globals["changed_words"] = changed_words

    def editing(self, name: str) -> Editing:
        """The open agreement called ``name``, opened on first use; 404 for any other name."""
        with self.lock:
            if name not in self.open:
                found = find_agreements(self.folder).get(name)
                if found is None:
                    raise UnknownAgreementError(name)
                self.open[name] = Editing(found)
            return self.open[name]

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.pages.get_template(template).render(csrf=self.token, **context)
        return HTMLResponse(html, status, headers=_HEADERS)

    def fragment(self, template: str, **context: Any) -> str:
        return self.pages.get_template(template).render(**context)

    def state_json(self, editing: Editing, state: State) -> dict[str, Any]:
        """A change's outcome for the page script: findings by field, and the panels' HTML."""
        def found(items: list[Any]) -> list[dict[str, Any]]:
            return [asdict(f) for f in items]

        return {
            "fields": {name: found(items) for name, items in state.by_field.items()},
            "general": found(state.general),
            "counts": {s: state.count(s) for s in ("error", "warning", "open")},
            "preview": state.preview,
            "side": self.fragment("side.html", state=state) if state.preview else "",
            "dirty": editing.dirty,
        }


_HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def create_app(folder: Path, build_dir: Path = Path("build"),
               hosts: tuple[str, ...] = LOCAL_HOSTS) -> Starlette:
    """The app serving the agreements in ``folder``; ``hosts`` are the Host names it answers."""
    workspace = Workspace(folder, build_dir)

    def writer(request: Request) -> None:
        """A write must carry the page's token (and, if the browser says, come from our page)."""
        token = request.headers.get("x-csrf-token", "")
        origin = request.headers.get("origin")
        if not hmac.compare_digest(token.encode(), workspace.token.encode()) or (
                origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}"):
            raise PermissionError

    async def written(request: Request) -> dict[str, Any]:
        """A write's body, once its token is checked: a JSON object, or a 400 saying what is
        wrong (never Starlette's 500 for a body it cannot read)."""
        writer(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise BadRequestError("send the change as JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except ValueError:  # not JSON, or not UTF-8
            raise BadRequestError("the change sent is not readable JSON") from None
        if not isinstance(body, dict):
            raise BadRequestError("the change sent is not a JSON object ({...})")
        return body

    async def front(request: Request) -> Response:
        agreements = [summarise(name, path, workspace.build_dir)
                      for name, path in find_agreements(workspace.folder).items()]
        return workspace.page("index.html", folder=str(workspace.folder), agreements=agreements)

    async def with_agreement(request: Request, work: Callable[[Editing], Response]
                             ) -> Response:
        """Run ``work`` on the named agreement, one request at a time, off the event loop
        (checking takes a fifth of a second, a PDF several seconds)."""
        def locked() -> Response:
            editing = workspace.editing(request.path_params["name"])
            with editing.lock:
                return work(editing)

        return await run_in_threadpool(locked)

    async def agreement(request: Request) -> Response:
        return await with_agreement(request, lambda editing: workspace.page(
            "agreement.html", name=request.path_params["name"], editing=editing,
            form=editing.form(), state=editing.state, commits=history(editing.folder)))

    async def change(request: Request) -> Response:
        body = await written(request)
        if not isinstance(body.get("field"), str) or any(
                key in body and type(body[key]) is not kind for key, kind in CHANGE_TYPES.items()):
            raise BadRequestError("expected {field: text, value: text, checked: true/false, "
                                  "open: true/false, note: text}")
        return await with_agreement(request, lambda editing: JSONResponse(
            workspace.state_json(editing, editing.change(body["field"], body)),
            headers=_HEADERS))

    def saved(editing: Editing) -> Response:
        conflict = editing.save()
        if conflict is not None:
            return JSONResponse({"conflict": asdict(conflict)}, 409, headers=_HEADERS)
        return JSONResponse({"saved": True, "dirty": editing.dirty}, headers=_HEADERS)

    def redrawn(editing: Editing, state: State) -> dict[str, Any]:
        """A change's outcome with the form drawn again (it has other fields now)."""
        answer = workspace.state_json(editing, state)
        answer["form"] = workspace.fragment("form.html", form=editing.form(), state=state)
        return answer

    def list_changed(body: Any) -> Callable[[Editing], Response]:
        def work(editing: Editing) -> Response:
            state = editing.change_list(body["field"], body["action"], body["index"])
            return JSONResponse(redrawn(editing, state), headers=_HEADERS)
        return work

    async def change_list(request: Request) -> Response:
        body = await written(request)
        if not isinstance(body.get("field"), str) or not isinstance(body.get("action"), str) \
                or type(body.get("index", 0)) is not int:
            raise BadRequestError("expected {field: text, action: text, index: a whole number}")
        body.setdefault("index", 0)
        return await with_agreement(request, list_changed(body))

    async def change_map(request: Request) -> Response:
        body = await written(request)
        if not all(isinstance(body.get(k), str) for k in ("field", "action", "key")):
            raise BadRequestError("expected {field: text, action: text, key: text}")

        def work(editing: Editing) -> Response:
            state = editing.change_map(body["field"], body["action"], body["key"])
            return JSONResponse(redrawn(editing, state), headers=_HEADERS)
        return await with_agreement(request, work)

    async def save(request: Request) -> Response:
        await written(request)
        return await with_agreement(request, saved)

    async def reload(request: Request) -> Response:
        await written(request)
        return await with_agreement(request, lambda editing: JSONResponse(
            workspace.state_json(editing, editing.reload()), headers=_HEADERS))

    def budget_json(editing: Editing, index: int, state: State) -> dict[str, Any]:
        cells, rest = editing.budget_findings(index)
        return {"cells": {k: [asdict(f) for f in v] for k, v in cells.items()},
                "general": [asdict(f) for f in rest],
                "counts": {s: state.count(s) for s in ("error", "warning", "open")},
                "dirty": editing.budget(index).dirty}

    async def budget_page(request: Request) -> Response:
        index = request.path_params["index"]

        def page(editing: Editing) -> Response:
            budget = editing.budget(index)
            cells, rest = editing.budget_findings(index)
            return workspace.page("budget.html", name=request.path_params["name"],
                                  index=index, budget=budget, cells=cells, general=rest,
                                  state=editing.state, keys=editing.partner_keys())
        return await with_agreement(request, page)

    async def grid_rows(request: Request) -> list[dict[str, Any]]:
        """The grid's rows from the request: [{id, cells}], or 400 if they are not that."""
        body = await written(request)
        rows = body.get("rows")
        if not isinstance(rows, list) or len(rows) > MAX_ROWS or not all(
                isinstance(r, dict) and (r.get("id") is None or type(r.get("id")) is int)
                and isinstance(r.get("cells"), list) and len(r["cells"]) <= MAX_COLUMNS
                and all(isinstance(c, str) for c in r["cells"]) for r in rows):
            raise BadRequestError("expected {rows: [{id: a whole number or null, cells: "
                                  "[text, ...]}, ...]}")
        return [{"id": r.get("id"), "cells": r["cells"]} for r in rows]

    async def budget_change(request: Request) -> Response:
        index, rows = request.path_params["index"], await grid_rows(request)
        return await with_agreement(request, lambda editing: JSONResponse(
            budget_json(editing, index, editing.change_budget(index, rows)), headers=_HEADERS))

    async def budget_save(request: Request) -> Response:
        index, rows = request.path_params["index"], await grid_rows(request)

        def save_table(editing: Editing) -> Response:
            state = editing.change_budget(index, rows)
            conflict = editing.save_budget(index)
            if conflict is not None:
                return JSONResponse({"conflict": asdict(conflict)}, 409, headers=_HEADERS)
            return JSONResponse({"saved": True, **budget_json(editing, index, state)},
                                headers=_HEADERS)
        return await with_agreement(request, save_table)

    def chosen(editing: Editing, rev: str | None) -> str | None:
        """A commit named in the query: only one of the folder's own history is taken."""
        if rev is None:
            return None
        if rev not in {c.sha for c in history(editing.folder) or []}:
            raise S75Error(Finding("error", "choose a version from the folder's history",
                                   editing.display, code="usage"))
        return rev

    async def history_page(request: Request) -> Response:
        query = request.query_params

        def page(editing: Editing) -> Response:
            commits = history(editing.folder)
            comparison, problem = None, ""
            old = query.get("old")
            if commits is not None and old:
                try:
                    new = chosen(editing, query.get("new") or None)
                    rev = f"{chosen(editing, old)}..{new}" if new else chosen(editing, old)
                    comparison = diff(editing.folder, rev=rev)
                except S75Error as exc:
                    problem = "; ".join(f.message for f in exc.findings)
            return workspace.page("history.html", name=request.path_params["name"],
                                  commits=commits, comparison=comparison, problem=problem,
                                  old=old or "", new=query.get("new", ""))
        return await with_agreement(request, page)

    def downloaded(fmt: str, rev: str | None, name: str) -> Callable[[Editing], Response]:
        """The download, or a page saying why not (a link followed wants a page, not JSON)."""
        def send(editing: Editing) -> Response:
            heading = "No redline" if fmt == "redline" else f"No .{fmt}"
            if fmt == "redline" and not (commits := history(editing.folder)):
                return workspace.page("problem.html", status=409, name=name, heading=heading,
                                      no_history=True, commits=commits, messages=[])
            try:
                filename, data = editing.redline(chosen(editing, rev) or "HEAD") \
                    if fmt == "redline" else editing.download(fmt)
            except S75Error as exc:
                return workspace.page("problem.html", status=409, name=name, heading=heading,
                                      messages=[f.message for f in exc.findings])
            return Response(data, media_type=DOWNLOADS[fmt], headers={
                **_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})
        return send

    async def download(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in DOWNLOADS:
            return Response("no such format", 404)
        return await with_agreement(request, downloaded(fmt, request.query_params.get("rev"),
                                                        request.path_params["name"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for editing in workspace.open.values():
            editing.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return Response("no such agreement in this folder", 404, headers=_HEADERS)

    async def refused(request: Request, exc: Exception) -> Response:
        return Response("refused: this page's token is missing or wrong; reload the page", 403,
                        headers=_HEADERS)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, 400, headers=_HEADERS)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, S75Error)
        return JSONResponse({"error": "\n".join(f.message for f in exc.findings)}, 409,
                            headers=_HEADERS)

    static = Path(__file__).parent / "static"
    app = Starlette(
        routes=[
            Route("/", front),
            Route("/a/{name}", agreement),
            Route("/a/{name}/change", change, methods=["POST"]),
            Route("/a/{name}/list", change_list, methods=["POST"]),
            Route("/a/{name}/map", change_map, methods=["POST"]),
            Route("/a/{name}/save", save, methods=["POST"]),
            Route("/a/{name}/reload", reload, methods=["POST"]),
            Route("/a/{name}/download/{fmt}", download),
            Route("/a/{name}/history", history_page),
            Route("/a/{name}/budget/{index:int}", budget_page),
            Route("/a/{name}/budget/{index:int}/change", budget_change, methods=["POST"]),
            Route("/a/{name}/budget/{index:int}/save", budget_save, methods=["POST"]),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))],
        exception_handlers={UnknownAgreementError: not_found, PermissionError: refused,
                            S75Error: problem, BadRequestError: bad_request},
        lifespan=lifespan,
    )
    return app
