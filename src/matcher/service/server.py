"""``matcher serve``: the application under uvicorn, on one process or several.

Several workers (``--workers``) are separate processes over one database: the store's sequence
numbers keep their writes apart. Their settings reach them in the environment variable
``MATCHER_SERVICE``, as JSON. :class:`ServerProcess` runs ``matcher serve`` in a child process,
for tests and benchmarks that speak to it over real HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from fastapi import FastAPI

from .app import Config, create_app
from .store import DispatchExistsError, open_store

__all__ = ["ServerProcess", "app_from_environment", "load_demo", "serve"]

#: The environment variable that carries a worker's settings.
ENVIRONMENT = "MATCHER_SERVICE"


def load_demo(database: str, dispatch_id: str = "demo") -> bool:
    """Store the Shanxi-like province (seed 0) as dispatch ``dispatch_id``, unless it is there.

    Returns
    -------
    bool
        Whether it was stored now.
    """
    from .. import synth
    from ..dispatch import Dispatch

    store = open_store(database)
    try:
        if dispatch_id in store.dispatch_ids():
            return False
        try:
            store.create(dispatch_id, Dispatch(synth.shanxi(0)))
        except DispatchExistsError:  # pragma: no cover - another process stored it first
            return False
        return True
    finally:
        store.close()


def serve(config: Config, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted (uvicorn handles the signals of this, its own, process)."""
    import uvicorn

    if workers > 1:
        os.environ[ENVIRONMENT] = json.dumps(dataclasses.asdict(config))
        uvicorn.run(
            f"{__name__}:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    else:
        uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def app_from_environment() -> FastAPI:
    """The application a worker process builds from ``MATCHER_SERVICE``."""
    return create_app(Config(**json.loads(os.environ[ENVIRONMENT])))


class ServerProcess:
    """``matcher serve`` in a child process on a free loopback port, started by :meth:`start`.

    The child runs this interpreter, with the folder this ``matcher`` was imported from first on
    its ``PYTHONPATH``; what it writes to stderr is kept, and told when it exits before it answers.

    Parameters
    ----------
    database
        The server's ``--db``.
    options
        More options of ``matcher serve`` (``--timeout``, ``--max-bytes``, ...).
    """

    def __init__(self, database: str, *options: str) -> None:
        self.database = database
        self.options = options
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def start(self, within: float = 60.0) -> float:
        """Start the server and wait until it answers; the seconds that took.

        Raises
        ------
        RuntimeError
            When it exits first (with what it wrote to stderr), or does not answer ``within``
            seconds.
        """
        started = time.perf_counter()
        command = [sys.executable, "-m", "matcher", "serve", "--port", str(self.port)]
        command += ["--db", self.database, *self.options]
        here = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
        self._close_stderr()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open while the child lives
        self.process = subprocess.Popen(
            command,
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        while time.perf_counter() - started < within:
            if self.process.poll() is not None:
                self._stderr.seek(0)
                error = self._stderr.read().decode(errors="replace")
                raise RuntimeError(f"matcher serve exited: {error}")
            if self._answers():
                return time.perf_counter() - started
            time.sleep(0.05)
        raise RuntimeError(f"matcher serve did not answer within {within:g} s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/openapi.json", timeout=2) as reply:
                return bool(reply.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def kill(self) -> None:
        """Kill the server at once (SIGKILL): no clean-up, no flush."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a server that hangs
                self.process.kill()
                self.process.wait(30)
        self._close_stderr()

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
