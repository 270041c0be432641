"""What keeps one request from holding the service: a size limit, a time limit, a bounded pool.

- :class:`BodyLimit` (ASGI middleware) refuses a body over the limit with 413 before the
  application reads it: at once when ``Content-Length`` says so, else as soon as the count passes
  it. The rest of the body is read and dropped, so that the client reads the answer.
- :class:`Pool` runs work off the event loop. Solves go to a fixed number of threads with a
  bounded queue (503 ``busy`` when it is full); every piece of work has a deadline (503
  ``timeout``). Work that runs over cannot be stopped from outside, so writes check their
  :class:`Ticket` before they commit: a write whose request was already answered with 503 records
  nothing.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread

from ..errors import MatcherError

__all__ = ["BodyLimit", "Pool", "ServiceError", "Ticket"]

T = TypeVar("T")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class ServiceError(MatcherError):
    """A refusal with an HTTP status and an error code (:data:`matcher.service.language.CODES`)."""

    def __init__(self, status: int, code: str, message: str = "", **extra: Any) -> None:
        self.status, self.code, self.message, self.extra = status, code, message, extra
        super().__init__(message or code)


class Ticket:
    """A piece of work's right to commit, lost when its request is answered with a timeout."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "running"

    def commit(self) -> bool:
        """Claim the right to commit; False when the request was given up (commit nothing)."""
        with self._lock:
            if self._state == "abandoned":
                return False
            self._state = "committed"
            return True

    def abandon(self) -> bool:
        """Give the work up; False when it already committed (its answer must be awaited)."""
        with self._lock:
            if self._state == "committed":
                return False
            self._state = "abandoned"
            return True


class Pool:
    """Threads for solves (``threads``, with ``queue`` more waiting) and a deadline for all work.

    Parameters
    ----------
    threads
        Solves that run at once.
    queue
        Solves that may wait for a thread; one more is refused as ``busy``.
    seconds
        The time limit of a request's work.
    """

    def __init__(self, threads: int, queue: int, seconds: float) -> None:
        self.seconds = seconds
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="matcher-solve")
        self._slots = threading.BoundedSemaphore(threads + queue)

    def close(self) -> None:
        """Stop taking work; running solves finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: Callable[[Ticket], T], *, solve: bool) -> T:
        """Run ``work`` in a thread and await it, within the time limit.

        Raises
        ------
        ServiceError
            503 ``busy`` when every solve slot is taken; 503 ``timeout`` when the work runs over
            (it then commits nothing).
        """
        ticket = Ticket()
        if solve:
            if not self._slots.acquire(blocking=False):
                raise ServiceError(503, "busy")

            def bounded() -> T:
                try:
                    return work(ticket)
                finally:
                    self._slots.release()

            loop = asyncio.get_running_loop()
            try:
                future: asyncio.Future[T] = loop.run_in_executor(self._executor, bounded)
            except RuntimeError:  # the executor is shut down
                self._slots.release()
                raise ServiceError(503, "busy") from None
        else:
            future = asyncio.ensure_future(anyio.to_thread.run_sync(work, ticket))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.seconds)
        except TimeoutError:
            if ticket.abandon():
                future.add_done_callback(_consume)
                raise ServiceError(
                    503, "timeout", f"no answer within {self.seconds:g} s", seconds=self.seconds
                ) from None
            return await future  # it committed: the answer is on its way


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so that asyncio does not log it


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered with 413 (JSON).

    ``title`` gives the answer's title for the request's ``Accept-Language`` header.
    """

    def __init__(self, app: App, limit: int, title: Callable[[str | None], str]) -> None:
        self.app, self.limit, self.title = app, limit, title

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        language = headers.get(b"accept-language", b"").decode("latin-1") or None
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._drain(receive)
            await self._refuse(send, language, int(declared))
            return
        seen = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:  # pragma: no cover - the application answered before reading the body
                raise
            await self._drain(receive)
            await self._refuse(send, language, seen)
        except Exception:
            if over and not started:  # the application wrapped the refusal in its own error
                await self._drain(receive)
                await self._refuse(send, language, seen)
                return
            raise

    async def _drain(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    async def _refuse(self, send: Send, language: str | None, size: int) -> None:
        body = json.dumps(
            {
                "error": "too_large",
                "title": self.title(language),
                "message": f"the body has {size:,} bytes or more; at most {self.limit:,}",
                "issues": [],
                "limit": self.limit,
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
