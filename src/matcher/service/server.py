"""``matcher serve``: the application under uvicorn, on one process or several.

Several workers (``--workers``) are separate processes over one database: the store's sequence
numbers keep their writes apart. Their settings reach them in the environment variable
``MATCHER_SERVICE``, as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import os

from fastapi import FastAPI

from .app import Config, create_app
from .store import DispatchExistsError, open_store

__all__ = ["app_from_environment", "load_demo", "serve"]

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
