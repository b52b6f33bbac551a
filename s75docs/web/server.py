"""Running the workspace: uvicorn on 127.0.0.1, and the browser opened once it listens."""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from s75docs.errors import Finding, S75Error

HOST = "127.0.0.1"  # this machine only: the workspace writes the drafter's files


def listening_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: a free port), or a clear error if taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise S75Error(Finding("error", f"cannot listen on {HOST}:{port}: {exc.strerror}; "
                               "choose another port with --port", code="usage")) from None
    return sock


def run(folder: Path, *, port: int, open_browser: bool, build_dir: Path,
        ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl+C)."""
    try:
        import uvicorn

        from s75docs.web.app import create_app
    except ImportError as exc:
        raise S75Error(Finding("error", f"the workspace needs the web extra ({exc.name} is "
                               "missing): pip install 's75docs[web]'", code="usage")) from None
    sock = listening_socket(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    config = uvicorn.Config(create_app(folder, build_dir), log_level="warning")
    server = uvicorn.Server(config)

    def started() -> None:
        while not server.started:  # uvicorn sets it once it accepts connections
            if server.should_exit:
                return
            time.sleep(0.05)
        if ready is not None:
            ready(url)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=started, daemon=True).start()
    server.run(sockets=[sock])
