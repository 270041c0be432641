"""SIGKILL in the middle of a write load: no acknowledged event lost, none half-written."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

import matcher
from matcher.dispatch import Dispatch, events

from .servers import DATABASES, Server, database_url

#: The steps of an accepted offer, in order.
STEPS = ("accept", "start", "complete", "rate")


class Writer(threading.Thread):
    """Walks its offers through accept → start → complete → rate, retrying across crashes."""

    def __init__(self, url: str, dispatch_id: str, offers: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.url, self.dispatch_id, self.offers = url, dispatch_id, offers
        self.acknowledged: list[dict[str, Any]] = []
        self.replayed = 0
        self.down = 0  # requests that found no server
        self.failure: str | None = None

    def run(self) -> None:
        seq = 0
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for offer in self.offers:
                for kind in STEPS:
                    step: dict[str, Any] = {"kind": kind, "need_id": offer["need_id"]}
                    if kind == "accept":
                        step["org_id"] = offer["org_id"]
                    if kind == "rate":
                        step["stars"] = 4
                    key = {"Idempotency-Key": uuid.uuid4().hex}
                    while True:
                        if time.monotonic() > deadline:
                            self.failure = "no answer within 90 s"
                            return
                        try:
                            answer = client.post(
                                f"/dispatches/{self.dispatch_id}/events",
                                json={**step, "expected_seq": seq},
                                headers=key,
                            )
                        except httpx.TransportError:  # the server is down: same request again
                            self.down += 1
                            time.sleep(0.05)
                            continue
                        if answer.status_code == 409 and answer.json().get("current_seq"):
                            seq = answer.json()["current_seq"]
                            time.sleep(0.002)  # let the writer that came first go on
                            continue
                        if answer.status_code != 200:
                            self.failure = f"{answer.status_code}: {answer.text}"
                            return
                        self.acknowledged.append(answer.json()["event"])
                        self.replayed += answer.headers.get("idempotent-replayed") == "true"
                        seq = answer.json()["next_seq"]
                        break


@pytest.mark.parametrize("kind", DATABASES)
def test_sigkill_during_a_write_load_loses_no_acknowledged_event(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = database_url(kind, tmp_path_factory.mktemp(f"kill-{kind}"))
    problem = matcher.synth.shanxi(seed=2, n_needs=80, n_orgs=16)
    server = Server(url)
    try:
        with server.client() as client:
            document = json.loads(problem.to_json())
            client.post("/dispatches", json={"id": "load", "problem": document})
            offers = client.post("/dispatches/load/propose").json()["offers"]
        assert len(offers) >= 20
        writers = [Writer(server.url, "load", offers[i::4]) for i in range(4)]
        for writer in writers:
            writer.start()
        total = len(STEPS) * len(offers)
        # killed half-way (benchmarks/service.py kills it twice, under a larger load)
        while sum(len(w.acknowledged) for w in writers) < total // 2:
            time.sleep(0.005)
        server.kill()
        server.start()
        for writer in writers:
            writer.join(120)
        assert [w.failure for w in writers] == [None] * 4
        assert sum(w.down for w in writers) > 0  # the kills came in the middle of the load
        with server.client() as client:
            logged: list[dict[str, Any]] = []
            while page := client.get(
                "/dispatches/load/events", params={"after": len(logged) - 1, "limit": 500}
            ).json()["events"]:
                logged += page
            state = client.get("/dispatches/load").json()
    finally:
        server.stop()
    acknowledged = [event for writer in writers for event in writer.acknowledged]
    by_seq = {event["seq"]: event for event in logged}
    lost = [event for event in acknowledged if by_seq.get(event["seq"]) != event]
    assert lost == []
    assert [event["seq"] for event in logged] == list(range(len(logged)))  # no gap
    # every step recorded once: 1 round, the offers, 4 steps per offer
    assert len(logged) == 1 + len(offers) + len(STEPS) * len(offers)
    assert len(acknowledged) == len(STEPS) * len(offers)
    # the stored log replays (no half-written event) to the state the server shows
    store = server.store()
    try:
        replayed = Dispatch.from_store(store, "load")
    finally:
        store.close()
    assert list(replayed.events) == events.load_events(logged)
    assert {n["need_id"]: n["status"] for n in state["needs"]} == {
        n.need_id: n.status.value for n in replayed.state.needs
    }
    assert replayed.state.statuses()[matcher.dispatch.NeedStatus.RATED] == len(offers)
