"""Service benchmark: ``matcher serve`` under a write load, on SQLite and PostgreSQL, and killed.

For each database, a fresh server (``python -m matcher serve``, loopback only) gets one dispatch of
the 10,000-need province (``synth.scale("province")``) and its first round; then:

* **load**: ``--clients`` threads post ``--answers`` answers in total (accept or decline, each
  offer answered once) to ``POST /dispatches/{id}/events``, each with the sequence number it last
  saw (``expected_seq``) and an idempotency key, retrying on 409 with the current number after a
  short random pause (up to 1 ms, doubling with each retry, at most 50 ms);
* **propose**: ``--proposes`` rounds, one after another, each after ``--declines`` declines:
  ``POST /dispatches/{id}/propose`` re-dispatches them;
* **explain**: ``GET /dispatches/{id}/needs/{need_id}/explanation`` after the first round: the
  first request (it solves the round and prepares the plan's explainer), then ``--explanations``
  more, of offered and of unplaced needs, one after another (they read what the first one kept);
* **checks**: the log has exactly one answer event per acknowledged answer, no sequence gap, and
  its replay (:meth:`Dispatch.from_store`, in this process) equals the state the server shows;
* **kill**: the same load on a fresh database with the server SIGKILLed ``--kills`` times (spread
  over the load) and restarted; clients retry what got no answer with the same idempotency key.
  Then: acknowledged events lost (must be 0), and the same checks.

Latencies are per HTTP request, client side, from the clients' own threads (409s included in
*all*); *answer* latency runs from an answer's first attempt to its acknowledgement. The table is
printed and written into ``benchmarks/RESULTS.md`` between ``<!-- service:start -->`` and
``<!-- service:end -->``. PostgreSQL comes from ``MATCHER_TEST_PG_URL`` (``.ci/run`` shows how
to start a throwaway server); without it only SQLite is measured, and the block says so.

Usage::

    python benchmarks/service.py [--quick] [--databases sqlite,postgresql] [--clients 16]
                                 [--answers 2000] [--explanations 40]
                                 [--out benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shlex
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markers import write_block  # the script's folder is on the path

if TYPE_CHECKING:
    from matcher.service.server import ServerProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
Record = dict[str, Any]

DEFAULTS: Record = {"size": "province", "clients": 16, "answers": 2000, "proposes": 10,
                    "declines": 20, "kills": 2, "explanations": 40}  # fmt: skip
QUICK: Record = {"size": "600x120", "clients": 4, "answers": 120, "proposes": 2, "declines": 5,
                 "kills": 1, "explanations": 10}  # fmt: skip

#: Seconds a server may take to answer after it is started.
STARTUP = 120


class Client(threading.Thread):
    """Posts its share of answers, each until acknowledged (409: retry at the current number)."""

    def __init__(self, url: str, dispatch_id: str, answers: list[Record], seq: int) -> None:
        super().__init__(daemon=True)
        self.url, self.dispatch_id, self.answers, self.seq = url, dispatch_id, answers, seq
        self.requests: list[float] = []  # every /events request, seconds
        self.conflicts = 0
        self.down = 0  # requests that found no server (killed)
        self.answered: list[float] = []  # per answer, first attempt to acknowledgement
        self.acknowledged: list[Record] = []
        self.failure = ""
        self.random = random.Random(len(answers) * 7919 + seq)

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.url, timeout=300) as client:
            for answer in self.answers:
                key = {"Idempotency-Key": uuid.uuid4().hex}
                first = time.perf_counter()
                attempt = 0
                while True:
                    sent = time.perf_counter()
                    try:
                        reply = client.post(
                            f"/dispatches/{self.dispatch_id}/events",
                            json={**answer, "expected_seq": self.seq},
                            headers=key,
                        )
                    except httpx.TransportError:
                        self.down += 1
                        time.sleep(0.05)
                        continue
                    self.requests.append(time.perf_counter() - sent)
                    if reply.status_code == 409 and reply.json().get("error") == "stale_sequence":
                        self.conflicts += 1
                        self.seq = reply.json()["current_seq"]
                        attempt += 1  # back off, with jitter, as a portal's client would
                        time.sleep(self.random.uniform(0, min(0.05, 0.001 * 2**attempt)))
                        continue
                    if reply.status_code != 200:
                        self.failure = f"{reply.status_code} {reply.text[:200]}"
                        return
                    body = reply.json()
                    self.acknowledged.append(body["event"])
                    self.answered.append(time.perf_counter() - first)
                    self.seq = body["next_seq"]
                    break


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fresh_database(kind: str, folder: Path) -> str | None:
    if kind == "sqlite":
        return str(folder / f"bench-{uuid.uuid4().hex[:8]}.sqlite")
    url = os.environ.get("MATCHER_TEST_PG_URL")
    if not url:
        return None
    from matcher.service import open_store

    store = open_store(url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TABLE IF EXISTS matcher_requests, matcher_events, matcher_dispatches"
        )
    store.close()
    return url


def problem_text(size: str) -> str:
    from matcher import synth

    if "x" in size:
        needs, orgs = (int(part) for part in size.split("x"))
        return synth.generate(needs, orgs, seed=0).to_json()
    return synth.scale(size, 0).to_json()


def answers_of(offers: list[Record], count: int) -> list[Record]:
    """``count`` answers: every fifth offer declined, the others accepted."""
    chosen = offers[:count]
    return [
        {"kind": "decline", "need_id": o["need_id"], "org_id": o["org_id"], "reason": "busy"}
        if i % 5 == 4
        else {"kind": "accept", "need_id": o["need_id"], "org_id": o["org_id"]}
        for i, o in enumerate(chosen)
    ]


def load(server: ServerProcess, args: argparse.Namespace, offers: list[Record], seq: int,
         kills: int) -> Record:  # fmt: skip
    """The answer load, with ``kills`` SIGKILLs spread over it; its figures."""
    answers = answers_of(offers, args.answers)
    clients = [
        Client(server.url, "bench", answers[i :: args.clients], seq) for i in range(args.clients)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    restarts: list[float] = []
    for k in range(kills):
        target = (k + 1) * len(answers) // (kills + 1)
        while sum(len(c.acknowledged) for c in clients) < target:
            time.sleep(0.01)
        server.kill()
        restarts.append(server.start(within=STARTUP))
    for client in clients:
        client.join()
    wall = time.perf_counter() - started
    failures = [c.failure for c in clients if c.failure]
    if failures:
        raise SystemExit(f"a client failed: {failures[0]}")
    requests = [r for c in clients for r in c.requests]
    return {
        "answers": len(answers),
        "acknowledged": [e for c in clients for e in c.acknowledged],
        "wall": wall,
        "requests": len(requests),
        "conflicts": sum(c.conflicts for c in clients),
        "down": sum(c.down for c in clients),
        "events_p50": percentile(requests, 0.5),
        "events_p95": percentile(requests, 0.95),
        "answer_p50": percentile([a for c in clients for a in c.answered], 0.5),
        "answer_p95": percentile([a for c in clients for a in c.answered], 0.95),
        "restarts": restarts,
    }


def check(server: ServerProcess, acknowledged: list[Record], first_answer_seq: int) -> Record:
    """Lost events, gaps, answer events against acknowledged answers, replay against live."""
    import httpx

    from matcher.dispatch import Dispatch
    from matcher.service import open_store
    from matcher.service.app import state_view

    with httpx.Client(base_url=server.url, timeout=600) as client:
        logged: list[Record] = []
        while page := client.get(
            "/dispatches/bench/events", params={"after": len(logged) - 1, "limit": 10_000}
        ).json()["events"]:
            logged += page
        live = client.get("/dispatches/bench").json()
    by_seq = {e["seq"]: e for e in logged}
    lost = sum(by_seq.get(e["seq"]) != e for e in acknowledged)
    answers = sum(
        e["kind"] in ("accepted", "declined") for e in logged if e["seq"] >= first_answer_seq
    )
    store = open_store(server.database)
    try:
        started = time.perf_counter()
        replayed = Dispatch.from_store(store, "bench")
        replay_seconds = time.perf_counter() - started
    finally:
        store.close()
    same = state_view("bench", replayed.state, "zh").model_dump(mode="json") == live
    return {
        "events": len(logged),
        "lost": lost,
        "gaps": int([e["seq"] for e in logged] != list(range(len(logged)))),
        "answer_events": answers,
        "replay_equal": same,
        "replay_seconds": replay_seconds,
    }


def measure_database(kind: str, args: argparse.Namespace, text: str, folder: Path) -> Record:
    import httpx

    from matcher.service.server import ServerProcess

    record: Record = {"database": kind}
    for phase, kills in (("load", 0), ("kill", args.kills)):
        database = fresh_database(kind, folder)
        if database is None:
            return {"database": kind, "skipped": "MATCHER_TEST_PG_URL is not set"}
        server = ServerProcess(database, "--max-bytes", str(256 * 2**20), "--timeout", "600")
        record[f"{phase}_start"] = server.start(within=STARTUP)
        try:
            with httpx.Client(base_url=server.url, timeout=600) as client:
                body = '{"id": "bench", "problem": ' + text + "}"
                sent = time.perf_counter()
                made = client.post(
                    "/dispatches", content=body, headers={"content-type": "application/json"}
                )
                assert made.status_code == 201, made.text
                record[f"{phase}_create"] = time.perf_counter() - sent
                sent = time.perf_counter()
                first = client.post("/dispatches/bench/propose", json={}).json()
                record[f"{phase}_first_round"] = time.perf_counter() - sent
            offers, seq = first["offers"], first["next_seq"]
            if len(offers) < args.answers + args.proposes * args.declines:
                raise SystemExit(f"the first round made only {len(offers)} offers")
            if phase == "load":
                record["explain"] = explanations(server, offers, args.explanations)
            result = load(server, args, offers, seq, kills)
            extra = 0
            if phase == "load":
                result["propose"] = proposes(server, args, offers[args.answers :])
                extra = args.proposes * args.declines  # the declines before each round
            result["check"] = check(server, result.pop("acknowledged"), seq)
            result["check"]["answer_events"] -= extra
            record[phase] = result
        finally:
            server.stop()
    return record


def explanations(server: ServerProcess, offers: list[Record], count: int) -> Record:
    """The first explanation of the round, then ``count`` more (half of offered needs, half of
    needs the round leaves unplaced, evenly spread), one after another; seconds."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=600) as client:
        state = client.get("/dispatches/bench").json()
        unplaced = [n["need_id"] for n in state["needs"] if n["status"] == "open"]
        offered = [o["need_id"] for o in offers]
        needs = spread(offered, count - count // 2) + spread(unplaced, count // 2)
        times: list[float] = []
        for need_id in [needs[0], *needs]:
            sent = time.perf_counter()
            reply = client.get(f"/dispatches/bench/needs/{need_id}/explanation")
            times.append(time.perf_counter() - sent)
            assert reply.status_code == 200, reply.text
    later = times[1:]
    return {
        "first": times[0],
        "count": len(later),
        "p50": percentile(later, 0.5),
        "p95": percentile(later, 0.95),
    }


def spread(values: list[str], count: int) -> list[str]:
    """``count`` of ``values`` (or all of them), evenly spread."""
    if len(values) <= count:
        return values
    return [values[i * len(values) // count] for i in range(count)]


def proposes(server: ServerProcess, args: argparse.Namespace, spare: list[Record]) -> Record:
    """``args.proposes`` rounds, each after ``args.declines`` declines of open offers."""
    import httpx

    times: list[float] = []
    methods: list[str] = []
    open_offers = {(o["need_id"], o["org_id"]): o for o in spare}
    with httpx.Client(base_url=server.url, timeout=600) as client:
        for _ in range(args.proposes):
            for need_id, org_id in list(open_offers)[: args.declines]:
                del open_offers[need_id, org_id]
                step = {"kind": "decline", "need_id": need_id, "org_id": org_id}
                reply = client.post("/dispatches/bench/events", json=step)
                assert reply.status_code == 200, reply.text
            sent = time.perf_counter()
            reply = client.post("/dispatches/bench/propose", json={})
            times.append(time.perf_counter() - sent)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            methods.append(body["method"])
            for need_id, org_id in body["withdrawn"]:
                open_offers.pop((need_id, org_id), None)
            open_offers.update({(o["need_id"], o["org_id"]): o for o in body["offers"]})
    return {
        "count": len(times),
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "methods": sorted(set(methods)),
    }


def render(raw: Record) -> str:
    facts = raw["facts"]
    ms = 1000.0
    lines = [
        f"- Command: `{raw['command']}`",
        f"- Date: {raw['date']}",
        f"- Machine: {facts['cpu']}, {facts['usable_cores']} usable cores, shared with other "
        f"work (1-minute load average {facts['load_average']:.2f} at the start, "
        f"{facts.get('load_average_end', float('nan')):.2f} at the end); Python "
        f"{facts['python']}, matcher at `{facts['revision']}`",
        f"- Dispatch: {raw['problem']} ({raw['offers_note']}); {raw['options']['clients']} "
        f"clients, {raw['options']['answers']:,} answers (every fifth a decline), each with "
        "`expected_seq` and an idempotency key, retried on 409 after a random pause (up to "
        "1 ms, doubling per retry, at most 50 ms); server: one uvicorn process, "
        "loopback.",
        "",
        "| database | phase | answers/s | requests/s | 409s | `/events` p50 / p95 ms | answer p50 / p95 ms "
        "(with retries) | `/propose` p50 / p95 ms | log checks |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for record in raw["results"]:
        if "skipped" in record:
            lines.append(f"| {record['database']} | – | – | – | – | – | – | – | "
                         f"not measured: {record['skipped']} |")  # fmt: skip
            continue
        for phase in ("load", "kill"):
            r = record[phase]
            c = r["check"]
            propose = r.get("propose")
            checks = (
                f"{c['answer_events']:,} answer events for {r['answers']:,} acknowledged, "
                f"{c['gaps']} gaps, replay {'equal' if c['replay_equal'] else 'DIFFERENT'} "
                f"({c['replay_seconds']:.1f} s)"
            )
            if phase == "kill":
                restarts = ", ".join(f"{s:.1f}" for s in r["restarts"])
                checks = (
                    f"{len(r['restarts'])} SIGKILLs (restarts {restarts} s, {r['down']} requests "
                    f"found no server): **acknowledged events lost: {c['lost']}**; " + checks
                )
            lines.append(
                f"| {record['database']} | {phase} | {r['answers'] / r['wall']:.0f} | "
                f"{r['requests'] / r['wall']:.0f} | {r['conflicts']:,} | "
                f"{r['events_p50'] * ms:.1f} / {r['events_p95'] * ms:.1f} | "
                f"{r['answer_p50'] * ms:.0f} / {r['answer_p95'] * ms:.0f} | "
                + (
                    f"{propose['p50'] * ms:.0f} / {propose['p95'] * ms:.0f} "
                    f"({propose['count']} rounds, {'/'.join(propose['methods'])}) | "
                    if propose
                    else "– | "
                )
                + checks
                + " |"
            )
    first = next((r for r in raw["results"] if "skipped" not in r), None)
    if first is not None:
        lines += [
            "",
            f"Setup per run ({first['database']}): server start {first['load_start']:.1f} s, "
            f"`POST /dispatches` (the document validated, its candidates built) "
            f"{first['load_create']:.1f} s, first `/propose` {first['load_first_round']:.1f} s.",
        ]
        explain = first["explain"]
        lines.append(
            f"`GET /dispatches/{{id}}/needs/{{need_id}}/explanation` after the first round "
            f"({first['database']}): the first request {explain['first']:.1f} s (it solves the "
            f"round and prepares the plan's explainer), the {explain['count']} after it, one at a "
            f"time, p50 / p95 {explain['p50'] * ms:.0f} / {explain['p95'] * ms:.0f} ms."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small, seconds")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--size", help="a synth scale or NEEDSxORGS (province)")
    for name in ("clients", "answers", "proposes", "declines", "kills", "explanations"):
        parser.add_argument(f"--{name}", type=int)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    sys.path.insert(0, str(ROOT / "src"))
    import run as runner  # benchmarks/run.py: the machine facts

    shown = ["python", "benchmarks/service.py", *(argv if argv is not None else sys.argv[1:])]
    raw: Record = {
        "command": shlex.join(shown),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "facts": runner.machine_facts(),
        "options": {k: getattr(args, k) for k in DEFAULTS},
        "problem": args.size if "x" in args.size else f"synth.scale({args.size!r}), seed 0",
        "offers_note": "its first round's offers are the ones answered",
    }
    text = problem_text(args.size)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            results.append(measure_database(kind.strip(), args, text, Path(folder)))
    raw["results"] = results
    raw["facts"]["load_average_end"] = os.getloadavg()[0]
    block = render(raw)
    print(block)
    write_block(args.out, "service", "Service under load", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
