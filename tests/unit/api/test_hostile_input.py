"""Hostile and malformed input: always a 4xx with a `detail`, never a 5xx, never a write."""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from api.app import create_app

VALID = factories.make_request()
GENERATE = "/api/programs/generate"
JSON_HEADERS = {"content-type": "application/json"}
SEED = 20261201
MUTATIONS = 300


@pytest.fixture
def client(db_url) -> Iterator[TestClient]:
    app = create_app(factories.app_settings(db_url))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def job_id(client) -> str:
    """A completed job, so the snapshot has content the rejected requests could touch."""
    job = client.post(GENERATE, json=VALID).json()
    factories.wait_for(
        lambda: client.get(f"/api/programs/jobs/{job['id']}").json()["status"] == "completed"
    )
    return job["id"]


def _snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))
            ]
            for table in ("program_generation_jobs", "job_events")
        }


@pytest.fixture
def unchanged(engine, job_id) -> Iterator[None]:
    """Fails the test if the rejected requests changed a job or an event row."""
    before = _snapshot(engine)
    assert len(before["program_generation_jobs"]) == 1
    yield
    assert _snapshot(engine) == before


def _rejected(response, *, allowed: tuple[int, ...] = ()) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if allowed:
        assert response.status_code in allowed, (response.status_code, response.text[:300])
    body = response.json()
    assert body["detail"], body


def _post_raw(client: TestClient, body: bytes, headers: dict[str, str] | None = None):
    return client.post(GENERATE, content=body, headers=JSON_HEADERS | (headers or {}))


# --- bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"}",
        b"{'goal': 'strength'}",
        b'{"goal": "strength",}',
        b"null",
        b"[]",
        b"3",
        b'"a string"',
        b"true",
        b"\xff\xfe\x00",
        b'{"goal": "strength"} trailing',
        b"[" * 30000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
    ],
)
def test_malformed_json_is_rejected(client, unchanged, body):
    _rejected(_post_raw(client, body), allowed=(400, 422))


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        None,
    ],
)
def test_wrong_content_type_is_rejected(client, unchanged, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    response = client.post(GENERATE, content=b"goal=strength&weeks=4", headers=headers)
    _rejected(response, allowed=(400, 415, 422))


def test_unknown_field_is_rejected_and_named(client, unchanged):
    response = client.post(GENERATE, json={**VALID, "admin": True})
    _rejected(response, allowed=(422,))
    assert "admin" in json.dumps(response.json()["detail"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("days_per_week", 0),
        ("days_per_week", 8),
        ("days_per_week", -1),
        ("weeks", 0),
        ("weeks", 17),
        ("weeks", 10**30),
        ("session_minutes", 14),
        ("session_minutes", 181),
        ("notes", "x" * 1001),
        ("equipment", ["bodyweight", "trampoline"]),
        ("equipment", "barbell"),
        ("equipment", [1]),
        ("equipment", ["bodyweight"] * 8),
        ("goal", "world_domination"),
        ("goal", ""),
        ("goal", "STRENGTH"),
        ("experience", "elite"),
    ],
)
def test_out_of_range_value_is_422(client, unchanged, field, value):
    _rejected(client.post(GENERATE, json={**VALID, field: value}), allowed=(422,))


@pytest.mark.parametrize("field", ["days_per_week", "weeks", "session_minutes"])
@pytest.mark.parametrize("value", ["3", 3.5, 3.0, True, False, None, [3], {"n": 3}, "", "3.0"])
def test_integer_fields_take_only_integers(client, unchanged, field, value):
    _rejected(client.post(GENERATE, json={**VALID, field: value}), allowed=(422,))


@pytest.mark.parametrize("field", ["goal", "experience", "notes", "equipment"])
@pytest.mark.parametrize("value", [None, 3, True, {"nested": {"junk": [1, {"x": None}]}}])
def test_other_fields_reject_wrong_types(client, unchanged, field, value):
    _rejected(client.post(GENERATE, json={**VALID, field: value}), allowed=(422,))


@pytest.mark.parametrize("field", ["goal", "experience", "days_per_week", "weeks"])
def test_missing_required_field_is_422(client, unchanged, field):
    body = {k: v for k, v in VALID.items() if k != field}
    _rejected(client.post(GENERATE, json=body), allowed=(422,))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"goal":"strength","experience":"beginner","days_per_week":1e400,"weeks":4}',
        b'{"goal":"strength","experience":"beginner","days_per_week":-1e400,"weeks":4}',
        b'{"goal":"strength","experience":"beginner","days_per_week":NaN,"weeks":4}',
        b'{"goal":"strength","experience":"beginner","days_per_week":Infinity,"weeks":4}',
    ],
)
def test_non_finite_numbers_are_rejected_not_a_500(client, unchanged, raw):
    _rejected(_post_raw(client, raw), allowed=(400, 422))


@pytest.mark.parametrize("notes", [b'"\\ud800"', b'"a\\udfffb"', b'"\\ud83d"'])
def test_lone_surrogates_are_rejected_not_a_500(client, unchanged, notes):
    raw = (
        b'{"goal":"strength","experience":"beginner","days_per_week":3,"weeks":4,"notes":'
        + notes
        + b"}"
    )
    _rejected(_post_raw(client, raw), allowed=(400, 422))


@pytest.mark.parametrize(
    "value", [b'{"\\udc00": 1}', b'[{"\\ud800": [1]}]', b'{"ok": {"\\ud83d": null}}']
)
def test_lone_surrogate_in_a_nested_key_is_rejected_not_a_500(client, unchanged, value):
    raw = b'{"goal":"strength","experience":"beginner","days_per_week":' + value + b',"weeks":4}'
    _rejected(_post_raw(client, raw), allowed=(400, 422))


def test_duplicate_keys_never_fail_the_server(client, unchanged):
    raw = b'{"goal":"strength","goal":"nope","experience":"beginner","days_per_week":3,"weeks":4}'
    _rejected(_post_raw(client, raw), allowed=(422,))


# --- size -------------------------------------------------------------------------------------


def _big_request(size: int = 65 * 1024) -> bytes:
    return json.dumps({**VALID, "notes": "x" * size}).encode()


def test_body_over_64_kib_with_content_length_is_413(client, unchanged):
    response = _post_raw(client, _big_request())
    _rejected(response, allowed=(413,))


def test_chunked_body_over_64_kib_is_413(client, unchanged):
    body = _big_request()
    chunks = iter([body[i : i + 4096] for i in range(0, len(body), 4096)])
    response = client.post(GENERATE, content=chunks, headers=JSON_HEADERS)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    _rejected(response, allowed=(413,))


@pytest.mark.parametrize("length", ["abc", "-1", "999999999999", "1e9"])
def test_lying_content_length_is_rejected(client, unchanged, length):
    response = _post_raw(client, json.dumps(VALID).encode(), {"content-length": length})
    _rejected(response)


def test_body_just_under_the_limit_is_judged_on_content(client, unchanged):
    response = _post_raw(client, _big_request(60 * 1024))
    _rejected(response, allowed=(422,))  # notes over 1000 chars, not 413


# --- ids and routes ---------------------------------------------------------------------------

WEIRD_IDS = [
    "nope",
    "0",
    "00000000-0000-0000-0000-000000000000",
    "a" * 5000,
    "ü🏋️‍♀️ünïcødé",
    "..",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "1' OR '1'='1",
    "1; DROP TABLE job_events",
    "%00",
    "\x00",
    " ",
    "%20",
    "null",
    "undefined",
    "-1",
    "{id}",
    "$where",
    "*",
]
JOB_ROUTES = [
    ("GET", "/api/programs/jobs/{}"),
    ("POST", "/api/programs/jobs/{}/retry"),
    ("POST", "/api/programs/jobs/{}/cancel"),
    ("GET", "/api/programs/jobs/{}/events"),
]


@pytest.mark.parametrize(("method", "route"), JOB_ROUTES)
@pytest.mark.parametrize("weird", WEIRD_IDS)
def test_unknown_or_weird_job_id_is_4xx(client, unchanged, method, route, weird):
    response = client.request(method, route.format(quote(weird, safe="")))
    _rejected(response, allowed=(404, 405, 422))


@pytest.mark.parametrize(("method", "route"), JOB_ROUTES)
def test_prefix_of_a_real_id_is_404(client, unchanged, job_id, method, route):
    response = client.request(method, route.format(job_id[:-1]))
    _rejected(response, allowed=(404,))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/programs/generate"),
        ("DELETE", "/api/programs/jobs/x"),
        ("GET", "/api/programs/generate"),
        ("PATCH", "/api/programs/jobs"),
        ("GET", "/api/programs/jobs/x/nothing"),
        ("GET", "/api/nothing"),
    ],
)
def test_unknown_routes_and_methods_are_4xx(client, unchanged, method, path):
    _rejected(client.request(method, path), allowed=(404, 405))


def _cursor(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "1.5"},
        {"limit": ""},
        {"limit": "-5"},
        {"limit": "10" * 20},
        {"status": "bogus"},
        {"status": ""},
        {"status": "PENDING"},
        {"cursor": "x" * 600},
        {"cursor": "%%%"},
        {"cursor": _cursor("ab")},
        {"cursor": _cursor([1, 2])},
        {"cursor": _cursor({"a": 1, "b": 2})},
        {"cursor": _cursor(["2026-01-01T00:00:00+00:00"])},
        {"cursor": base64.urlsafe_b64encode(b"\xff\xfe[").decode()},
    ],
)
def test_bad_list_query_params_are_422(client, unchanged, params):
    _rejected(client.get("/api/programs/jobs", params=params), allowed=(422,))


@pytest.mark.parametrize(
    "created",
    [
        "2026-01-01T00:00:00",  # naive: the service only gives out aware cursors
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
    ],
)
def test_forged_cursor_with_odd_timestamp_is_422_not_a_500(client, unchanged, created):
    response = client.get("/api/programs/jobs", params={"cursor": _cursor([created, "x"])})
    _rejected(response, allowed=(422,))


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_bad_idempotency_key_is_422(client, unchanged, key):
    response = client.post(GENERATE, json=VALID, headers={"Idempotency-Key": key})
    _rejected(response, allowed=(422,))


# --- generated mutations ----------------------------------------------------------------------

JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63),
    10**100,
    1.5,
    -0.0,
    1e308,
    "",
    " ",
    "3",
    "strength",
    "ü" * 50,
    "🏋" * 300,
    "\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    [],
    [None],
    ["bodyweight"] * 20,
    {},
    {"$gt": ""},
    {"goal": "strength"},
]


def _nested(rng: random.Random, depth: int) -> Any:
    value: Any = rng.choice(JUNK[:10])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _mutate(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(VALID)
    for _ in range(rng.randint(1, 3)):
        field = rng.choice([*VALID, "extra", "GOAL", "id", "status", ""])
        kind = rng.randrange(8)
        if kind == 0:
            body.pop(field, None)
        elif kind == 1:
            body[field] = rng.choice(JUNK)
        elif kind == 2:
            body[field] = _nested(rng, rng.randint(1, 60))
        elif kind == 3:
            body[field] = rng.choice([10 ** rng.randint(3, 400), -(10 ** rng.randint(3, 400))])
        elif kind == 4:
            body[field] = "".join(
                chr(rng.randint(1, 0x10FFFF) if rng.random() < 0.5 else rng.randint(32, 126))
                for _ in range(rng.randint(0, 40))
            )
        elif kind == 5:
            body[f"{field}_{rng.randint(0, 9)}"] = body.get(field, "dup")
        elif kind == 6 and field in body:
            body[field] = [body[field]] if rng.random() < 0.5 else str(body[field])
        else:
            body[field] = rng.random() * 10 ** rng.randint(0, 20)
    return body


def _encode(body: dict[str, Any]) -> bytes:
    # surrogatepass: a generated unpaired surrogate still goes out as the bytes a client sends
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_generated_mutations_never_get_a_5xx_nor_touch_existing_rows(client, engine, job_id):
    before = _snapshot(engine)
    rng = random.Random(SEED)
    accepted: set[str] = set()
    failures = []
    for number in range(MUTATIONS):
        body = _mutate(rng)
        response = _post_raw(client, _encode(body))
        if response.status_code >= 500 or not 200 <= response.status_code < 500:
            failures.append((number, response.status_code, _encode(body)[:200]))
            continue
        if response.status_code == 202:
            accepted.add(response.json()["id"])
            continue
        if not response.json().get("detail"):
            failures.append((number, response.status_code, "no detail"))
    assert failures == []
    after = _snapshot(engine)
    old_ids = {row[0] for row in before["program_generation_jobs"]}
    ids_after = {row[0] for row in after["program_generation_jobs"]}
    assert ids_after == old_ids | accepted  # one row per accepted request, none per rejected
    assert [r for r in after["program_generation_jobs"] if r[0] in old_ids] == before[
        "program_generation_jobs"
    ]
    events_of_old = [row for row in after["job_events"] if job_id in row]
    assert events_of_old == [row for row in before["job_events"] if job_id in row]


# --- the review's 500s: nesting 400-1000 deep, undecodable non-JSON bodies ------------------

CANARY = "CANARY-raw-input-7f3a"
DEPTHS = range(400, 1001)  # every depth of the window (the review saw 500s at 484-980)
SHAPES = [("[", "]"), ('{"a":', "}")]


def _deep_body(where: str, depth: int, shape: tuple[str, str]) -> bytes:
    opener, closer = shape
    inner = opener * depth + json.dumps(CANARY) + closer * depth
    return (json.dumps(VALID)[:-1] + f', "{where}": {inner}}}').encode()


def _no_canary_in_logs(caplog) -> None:
    assert not [r for r in caplog.records if CANARY in r.getMessage() or r.exc_info], [
        r.getMessage()[:200] for r in caplog.records if CANARY in r.getMessage() or r.exc_info
    ]


@pytest.mark.parametrize("shape", SHAPES, ids=["lists", "objects"])
def test_every_nesting_depth_of_the_window_is_4xx_and_unlogged(client, unchanged, caplog, shape):
    caplog.set_level(logging.DEBUG)
    for depth in DEPTHS:
        where = ("zz", "notes", "equipment")[depth % 3]  # an unknown field and two typed ones
        _rejected(_post_raw(client, _deep_body(where, depth, shape)), allowed=(400, 422))
    _no_canary_in_logs(caplog)


def test_echoed_input_is_cut_at_a_fixed_depth(client, unchanged):
    answer = _post_raw(client, _deep_body("zz", 600, SHAPES[0]))
    assert answer.status_code == 422
    assert len(answer.content) < 2000  # not the 600 levels sent back
    assert CANARY not in answer.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"\xff\xfe=" + CANARY.encode()),
        ("application/x-www-form-urlencoded", b"goal=strength&notes=" + CANARY.encode()),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; "
            b'name="a"\r\n\r\n\xff' + CANARY.encode() + b"\r\n--x--\r\n",
        ),
        ("multipart/form-data", b"\xff\xfe" + CANARY.encode()),
        ("text/plain", b"\xff" + CANARY.encode()),
        (None, b"\xff\xfe" + CANARY.encode()),
        ("application/json", b"\xff\xfe" + CANARY.encode()),
        ("application/json; charset=latin-1", b'{"notes": "\xe9' + CANARY.encode() + b'"}'),
        ("application/json", '{"notes": "x"}'.encode("utf-16")),
        ("application/json", '{"notes": "x"}'.encode("utf-32")),
        ("application/json", b'{"goal": "\xc0\xae"}'),  # overlong UTF-8
        ("application/json", b'{"goal": "strength", "notes": "\xed\xa0\x80"}'),  # CESU surrogate
    ],
)
def test_undecodable_and_non_json_bodies_are_4xx_and_unlogged(
    client, unchanged, caplog, content_type, body
):
    caplog.set_level(logging.DEBUG)
    headers = {} if content_type is None else {"content-type": content_type}
    answer = client.post(GENERATE, content=body, headers=headers)
    _rejected(answer)
    _no_canary_in_logs(caplog)
