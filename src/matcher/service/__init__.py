"""``matcher serve``: matcher over HTTP, with dispatch logs kept in a database.

A room on top of the package for portals that do not speak Python. :mod:`.store` keeps each
dispatch's event log in SQLite or PostgreSQL (usable from Python without the web layer);
:mod:`.app` is the FastAPI application; :mod:`.schemas` its request and response models, from
which ``/openapi.json`` is generated; :mod:`.registry` the dispatches a server holds, written
through the store; :mod:`.language` its messages and labels in Chinese and English.

It needs the ``service`` extra (``pip install 'matcher[service]'``); ``import matcher`` never
loads it.
"""

from .store import (
    DispatchExistsError,
    DuplicateRequestError,
    EventStore,
    Remembered,
    StaleSequenceError,
    StoreError,
    UnknownDispatchError,
    open_store,
)

__all__ = [
    "DispatchExistsError",
    "DuplicateRequestError",
    "EventStore",
    "Remembered",
    "StaleSequenceError",
    "StoreError",
    "UnknownDispatchError",
    "open_store",
]
