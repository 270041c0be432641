"""The contract of every endpoint, over real HTTP, on SQLite and PostgreSQL.

Answers are checked against the library run in this process: a plan against ``matcher.solve``
and ``matcher.verify``, a dispatch against a :class:`~matcher.dispatch.Dispatch` given the same
commands, the stored log against its replay.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

import matcher
from matcher.dispatch import Dispatch, events

from .servers import Server


def new_id() -> str:
    return "t-" + uuid.uuid4().hex[:12]


def count(client: httpx.Client, dispatch_id: str) -> int:
    answer = client.get(f"/dispatches/{dispatch_id}/events", params={"limit": 1})
    assert answer.status_code == 200
    found: int = answer.json()["next_seq"]
    return found


def refused(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert body["error"] == code and body["title"]
    return body


def test_health_and_openapi_document(client: httpx.Client) -> None:
    assert client.get("/health").json()["status"] == "ok"
    document = client.get("/openapi.json").json()
    validate(document)  # a valid OpenAPI 3.1 document
    schemas = document["components"]["schemas"]
    # The problem's schema is the library's, as `matcher schema` prints it.
    assert set(matcher.Problem.model_json_schema()["properties"]) == set(
        schemas["Problem"]["properties"]
    )
    body = document["paths"]["/solve"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/SolveRequest"
    for path in (
        "/validate",
        "/dispatches",
        "/dispatches/{dispatch_id}/propose",
        "/dispatches/{dispatch_id}/events",
        "/dispatches/{dispatch_id}/needs/{need_id}/explanation",
    ):
        assert path in document["paths"]


def test_validate(client: httpx.Client, document: dict[str, Any], problem: matcher.Problem) -> None:
    answer = client.post("/validate", json=document)
    assert answer.status_code == 200
    assert answer.json()["needs"] == len(problem.needs)
    assert answer.json()["candidate_pairs"] == len(matcher.candidates(problem))
    broken = {**document, "color": 1, "needs": [{**document["needs"][0], "region": "nowhere"}]}
    try:
        matcher.Problem.model_validate(broken)
    except matcher.ProblemError as found:
        error = found
    issues = error.issues
    assert len(issues) >= 2
    for language in ("zh", "en"):
        answer = client.post("/validate", json=broken, headers={"Accept-Language": language})
        body = refused(answer, 422, "invalid")
        assert body["message"] == error.text(language).splitlines()[0]
        assert [f"{i['path']}: {i['message']}" for i in body["issues"]] == [
            i.text(language) for i in issues
        ]


def test_solve_gives_the_library_plan(client: httpx.Client, document: dict[str, Any]) -> None:
    problem = matcher.Problem.model_validate(document)
    answer = client.post("/solve", json={"problem": document, "explain": "unmet"})
    assert answer.status_code == 200, answer.text
    plan = matcher.Solution.from_json(json.dumps(answer.json()["plan"]))
    local = matcher.solve(problem)
    assert [(a.need_id, a.org_id) for a in plan.assignments] == [
        (a.need_id, a.org_id) for a in local.assignments
    ]
    assert plan.objective == pytest.approx(local.objective, rel=1e-12)
    assert matcher.verify(problem, plan) == []
    texts = answer.json()["explanations"]
    assert [t["need_id"] for t in texts] == [u.need_id for u in local.unmet]
    english = client.post(
        "/solve", json={"problem": document, "explain": "unmet"}, headers={"Accept-Language": "en"}
    ).json()["explanations"]
    first = texts[0]["need_id"]
    assert texts[0]["text"] == matcher.explain.explain(problem, local, first, "zh").text
    assert english[0]["text"] == matcher.explain.explain(problem, local, first, "en").text


def test_dispatch_lifecycle_matches_the_library(
    server: Server, client: httpx.Client, problem: matcher.Problem, document: dict[str, Any]
) -> None:
    dispatch_id = new_id()
    created = client.post(
        "/dispatches", json={"id": dispatch_id, "problem": document, "disruption_cost": 1.0}
    )
    assert created.status_code == 201 and created.json()["next_seq"] == 0
    local = Dispatch(problem, disruption_cost=1.0)
    first = client.post(f"/dispatches/{dispatch_id}/propose", json={"expected_seq": 0}).json()
    proposal = local.propose()
    assert [(o["need_id"], o["org_id"]) for o in first["offers"]] == [
        (o.need_id, o.org_id) for o in proposal.offers
    ]
    assert first["next_seq"] == len(local.events)
    a, b = proposal.offers[0], proposal.offers[1]
    steps: list[dict[str, Any]] = [
        {"kind": "accept", "need_id": a.need_id, "org_id": a.org_id},
        {"kind": "start", "need_id": a.need_id},
        {"kind": "complete", "need_id": a.need_id},
        {"kind": "rate", "need_id": a.need_id, "stars": "非常满意"},
        {"kind": "decline", "need_id": b.need_id, "org_id": b.org_id, "reason": "no staff"},
    ]
    for step in steps:
        answer = client.post(f"/dispatches/{dispatch_id}/events", json=step)
        assert answer.status_code == 200, answer.text
        kind = step.pop("kind")
        getattr(local, kind)(**step)
        assert answer.json()["event"] == local.events[-1].model_dump(mode="json")
    second = client.post(f"/dispatches/{dispatch_id}/propose", json={}).json()
    proposal = local.propose()
    assert [(o["need_id"], o["org_id"]) for o in second["offers"]] == [
        (o.need_id, o.org_id) for o in proposal.offers
    ]
    # the log, paged, is the library's
    logged: list[dict[str, Any]] = []
    after = -1
    while True:
        page = client.get(f"/dispatches/{dispatch_id}/events", params={"after": after, "limit": 7})
        found = page.json()["events"]
        if not found:
            break
        logged += found
        after = found[-1]["seq"]
    assert events.load_events(logged) == list(local.events)
    # the state, in both languages
    state = client.get(f"/dispatches/{dispatch_id}", headers={"Accept-Language": "en"}).json()
    assert state["next_seq"] == len(local.events) and state["round"] == local.state.round
    assert {n["need_id"]: n["status"] for n in state["needs"]} == {
        n.need_id: n.status.value for n in local.state.needs
    }
    rated = next(o for o in state["offers"] if o["status"] == "rated")
    assert (rated["stars"], rated["stars_label"], rated["label"]) == (5, "very satisfied", "rated")
    zh = client.get(f"/dispatches/{dispatch_id}", headers={"Accept-Language": "zh-CN"}).json()
    assert next(o for o in zh["offers"] if o["status"] == "rated")["label"] == "已评价"
    # the store replays to the same state
    store = server.store()
    try:
        assert Dispatch.from_store(store, dispatch_id).state == local.state
    finally:
        store.close()
    # an explanation of a need, in the language asked
    need = proposal.offers[0].need_id if proposal.offers else a.need_id
    text = client.get(
        f"/dispatches/{dispatch_id}/needs/{need}/explanation", headers={"Accept-Language": "en"}
    ).json()
    round_problem = local.round_problem()
    expected = matcher.explain.explain(round_problem, matcher.solve(round_problem), need, "en")
    assert (text["org_id"], text["text"]) == (expected.org_id, expected.text)


@pytest.fixture(scope="module")
def proposed(client: httpx.Client, document: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A dispatch after its first round, and its offers."""
    dispatch_id = new_id()
    client.post("/dispatches", json={"id": dispatch_id, "problem": document})
    offers = client.post(f"/dispatches/{dispatch_id}/propose").json()["offers"]
    return dispatch_id, offers


def test_a_stale_sequence_number_is_refused_with_the_current_one(
    client: httpx.Client, proposed: tuple[str, list[dict[str, Any]]]
) -> None:
    dispatch_id, offers = proposed
    before = count(client, dispatch_id)
    offer = offers[2]
    stale = {"kind": "accept", **_pair(offer), "expected_seq": before - 1}
    body = refused(
        client.post(f"/dispatches/{dispatch_id}/events", json=stale), 409, "stale_sequence"
    )
    assert body["current_seq"] == before
    assert count(client, dispatch_id) == before
    fresh = {**stale, "expected_seq": before}
    assert client.post(f"/dispatches/{dispatch_id}/events", json=fresh).status_code == 200
    assert count(client, dispatch_id) == before + 1


def test_concurrent_writers_with_one_sequence_number_one_wins(
    server: Server, proposed: tuple[str, list[dict[str, Any]]]
) -> None:
    dispatch_id, offers = proposed
    with server.client() as client:
        at = count(client, dispatch_id)
    answers: list[int] = []
    barrier = threading.Barrier(4)

    def write(offer: dict[str, Any]) -> None:
        with server.client() as own:
            barrier.wait()
            step = {"kind": "decline", **_pair(offer), "expected_seq": at}
            answers.append(own.post(f"/dispatches/{dispatch_id}/events", json=step).status_code)

    threads = [threading.Thread(target=write, args=(offer,)) for offer in offers[4:8]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409, 409, 409]
    with server.client() as client:
        assert count(client, dispatch_id) == at + 1


def test_idempotency_keys(client: httpx.Client, proposed: tuple[str, list[dict[str, Any]]]) -> None:
    dispatch_id, offers = proposed
    path = f"/dispatches/{dispatch_id}/events"
    step = {"kind": "accept", **_pair(offers[8])}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post(path, json=step, headers=key)
    assert first.status_code == 200
    after = count(client, dispatch_id)
    again = client.post(path, json=step, headers=key)
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert count(client, dispatch_id) == after
    other = {"kind": "decline", **_pair(offers[1])}
    refused(client.post(path, json=other, headers=key), 422, "idempotency_mismatch")
    assert count(client, dispatch_id) == after
    # copies of one request at once: one event, and every copy gets its answer
    step = {"kind": "accept", **_pair(offers[3])}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = count(client, dispatch_id)
    replies: list[httpx.Response] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=60) as own:
            barrier.wait()
            replies.append(own.post(path, json=step, headers=key))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in replies] == [200] * 4
    assert len({r.text for r in replies}) == 1
    assert count(client, dispatch_id) == before + 1
    # the creation of a dispatch too
    create = {"problem": _tiny(), "id": new_id()}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    made = client.post("/dispatches", json=create, headers=key)
    assert made.status_code == 201
    assert client.post("/dispatches", json=create, headers=key).json() == made.json()


def test_bad_input_changes_nothing(
    client: httpx.Client, proposed: tuple[str, list[dict[str, Any]]]
) -> None:
    dispatch_id, offers = proposed
    path = f"/dispatches/{dispatch_id}/events"
    before = count(client, dispatch_id)
    refused(client.post(path, content=b'{"kind": "accept", '), 400, "malformed")
    refused(client.post(path, json=[1, 2]), 422, "invalid")
    body = refused(client.post(path, json={"kind": "accept", "need_id": "N01"}), 422, "invalid")
    assert body["issues"][0]["path"] == "org_id"
    body = refused(client.post(path, json={"kind": "sing", "need_id": "N01"}), 422, "invalid")
    assert body["issues"][0]["path"] == "kind"
    refused(client.post(path, json={"kind": "start", "need_id": "nowhere"}), 404, "unknown_id")
    refused(
        client.post("/dispatches/nowhere/events", json={"kind": "start", "need_id": "N01"}),
        404,
        "not_found",
    )
    refused(client.get("/dispatches/nowhere"), 404, "not_found")
    refused(client.get(f"/dispatches/{dispatch_id}/needs/nowhere/explanation"), 404, "unknown_id")
    refused(client.get(f"{path}?after=x"), 422, "invalid")
    refused(client.get("/no/such/route"), 404, "not_found")
    body = refused(
        client.post(path, json={"kind": "complete", **{"need_id": offers[0]["need_id"]}}),
        409,
        "transition",
    )
    assert body["message"].startswith("不能完成 ")  # the default language is Chinese
    english = client.post(
        path,
        json={"kind": "complete", "need_id": offers[0]["need_id"]},
        headers={"Accept-Language": "en"},
    ).json()
    assert english["message"].startswith("cannot complete ")
    refused(
        client.post("/dispatches", json={"id": dispatch_id, "problem": _tiny()}),
        409,
        "dispatch_exists",
    )
    body = refused(client.post("/dispatches", json={"problem": {"needs": 1}}), 422, "invalid")
    assert all(i["path"].startswith("problem") for i in body["issues"])
    # 50 MB: refused before it is read, with a JSON body, in the language asked
    payload = b'{"kind": "start", "need_id": "' + b"x" * (50 * 2**20) + b'"}'
    body = refused(
        client.post(path, content=payload, headers={"Accept-Language": "zh"}), 413, "too_large"
    )
    assert body["title"] == "请求体过大"
    assert count(client, dispatch_id) == before
    assert client.get("/health").status_code == 200


def test_a_long_solve_does_not_hold_other_requests(server: Server, client: httpx.Client) -> None:
    big = matcher.synth.generate(4000, 800, seed=5).to_json()
    body = '{"problem": ' + big + ', "solver": "greedy"}'
    solved: list[int] = []

    def solve() -> None:
        with server.client() as own:
            reply = own.post("/solve", content=body, headers={"content-type": "application/json"})
            solved.append(reply.status_code)

    worker = threading.Thread(target=solve)
    worker.start()
    answered = 0  # health checks answered while the solve was running
    while worker.is_alive():
        if client.get("/health").status_code == 200 and worker.is_alive():
            answered += 1
    worker.join()
    assert solved == [200]
    # A solve held on the event loop would stall every other request until it ends.
    assert answered >= 5


def test_messages_follow_accept_language(client: httpx.Client) -> None:
    zh = client.get("/dispatches/nowhere", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()
    en = client.get("/dispatches/nowhere", headers={"Accept-Language": "en-GB"}).json()
    assert (zh["title"], en["title"]) == ("未找到", "not found")


def test_work_over_the_time_limit_gets_503(tmp_path: Any, document: dict[str, Any]) -> None:
    server = Server(str(tmp_path / "slow.sqlite"), "--timeout", "0.001")
    try:
        with server.client(**{"Accept-Language": "en"}) as client:
            big = json.loads(matcher.synth.shanxi(seed=1).to_json())
            body = refused(client.post("/solve", json={"problem": big}), 503, "timeout")
            assert body["title"] == "the request ran over its time limit"
            # A write that had committed when its time ran out is answered; one that had not
            # commits nothing (tests/service/test_service_guards.py checks both in process).
            made = client.post("/dispatches", json={"id": "late", "problem": big})
            assert made.status_code in (201, 503)
        store = server.store()
        assert store.dispatch_ids() == (["late"] if made.status_code == 201 else [])
        store.close()
    finally:
        server.stop()


def _pair(offer: dict[str, Any]) -> dict[str, Any]:
    return {"need_id": offer["need_id"], "org_id": offer["org_id"]}


def _tiny() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(matcher.synth.shanxi(seed=3, n_needs=5, n_orgs=3).to_json())
    return data
