"""A fake OpenAI Chat Completions server that answers progen's prompts with valid programs.

Tests and demos point the real `AsyncOpenAI` client (OPENAI_BASE_URL) at it
instead of paying for OpenAI. It reads the request's schema name ("Plan" or
"Week") and the <program_request> JSON block that
`programs/generators/prompts.py` puts in every user message, so each answer
fits the request: the right number of weeks, days, minutes.

    python scripts/fake_openai_server.py --port 8089 [--record FILE] [--scenario JSON]
    # then OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPENAI_API_KEY=sk-fake ./start_fastapi.sh

Control endpoints (per server; tests use them over HTTP, like a subprocess):
  POST /_control/scenario  {"mode": ..., "failures": n, "delay_seconds": s, "step": k,
                            "retry_after_ms": ms} -> the scenario now in force
  GET  /_control/scenario  -> the scenario in force
  GET  /_control/requests  -> {"requests": [...], "counts": {"plan": n, "week_1": n, ...}}
  POST /_control/reset     -> forget the requests, back to {"mode": "ok"}

Modes: ok | slow (answers after delay_seconds, default 5) | badjson (truncated JSON) |
refusal | length (finish_reason "length") | content_filter | invalid_program (one week
or session too many) | rule_breaking (sessions over the time asked, and a barbell
squat whatever the equipment: the hard coaching rules send it back) | http400 | http401 |
http403 | http404 | http409 | http429 | http500 | http503, plus the shorthands
badjson_once, invalid_program_once, rule_breaking_once (failures=1) and
http429_then_ok (failures=2). With `failures` set, only the first n matching
requests misbehave and later ones are answered ok; with `step` set (0 = plan, n = week
n), only requests for that step match. `delay_seconds` delays every answer (in mode
slow: only the matching ones).

--load JSON gives every answer of an "ok" scenario a seeded, model-like latency and a few
faults (bench/llm_load.py uses it): {"median_seconds": 2.5, "sigma": 0.6, "min_seconds": 1,
"max_seconds": 8, "http429": 0.03, "timeout": 0.02, "hang_seconds": 30, "seed": 1}. A
latency is log-normal (median, sigma) clipped to [min, max]; a "timeout" answer hangs for
hang_seconds (set the client's timeout below it); a 429 answers at once. Each recorded
request then has the "delay_seconds" it was held.

Each recorded request has the answer's "usage" once answered (null for HTTP errors; the
--record file is written on arrival, so it has none). Recorded requests never include the
Authorization header. A 401 answer echoes the whole key in its error message (the real
API masks it): deliberately worse, so a client that copies error text into its own
messages is caught by tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

JSON = dict[str, Any]
DATA_BLOCK = re.compile(r"<program_request>\s*(\{.*?\})\s*</program_request>", re.DOTALL)
SLOW_DEFAULT_SECONDS = 5.0
ONCE = {
    "badjson_once": "badjson",
    "invalid_program_once": "invalid_program",
    "rule_breaking_once": "rule_breaking",
}
THEN_OK = {"http429_then_ok": "http429"}
HTTP_ERRORS = {  # status -> (OpenAI error type, code)
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}
Mode = Literal[
    "ok",
    "slow",
    "badjson",
    "badjson_once",
    "refusal",
    "length",
    "content_filter",
    "invalid_program",
    "invalid_program_once",
    "rule_breaking",
    "rule_breaking_once",
    "http400",
    "http401",
    "http403",
    "http404",
    "http409",
    "http429",
    "http429_then_ok",
    "http500",
    "http503",
]
EXERCISES = {
    "barbell": ["Barbell back squat", "Barbell bench press", "Barbell row", "Romanian deadlift"],
    "dumbbells": ["Goblet squat", "Dumbbell bench press", "One-arm dumbbell row", "Dumbbell lunge"],
    "kettlebells": ["Kettlebell swing", "Kettlebell goblet squat", "Kettlebell press"],
    "machines": ["Leg press", "Lat pulldown", "Seated cable row", "Chest press machine"],
    "bands": ["Band pull-apart", "Banded squat", "Band face pull"],
    "pull_up_bar": ["Pull-up", "Hanging knee raise"],
    "bodyweight": ["Push-up", "Split squat", "Glute bridge", "Plank", "Inverted row"],
}


SESSION_EXERCISES_MAX = 10
SECONDS_PER_SET = 5 + 4 * 10 + 90  # "8-10" reps and 90 s of rest, as programs.timing counts
CUE = "Brace before each rep, move under control through the full range you own."


class Scenario(BaseModel):
    """How the server misbehaves; see the module docstring."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "ok"
    failures: int | None = Field(None, ge=0)
    delay_seconds: float | None = Field(None, ge=0)
    step: int | None = Field(None, ge=0)
    retry_after_ms: int | None = Field(20, ge=0)  # keeps the SDK's retries fast; None = backoff

    def behaviour(self, step: int | None, matched: int) -> str:
        """The mode for a request that is the `matched`-th one for this scenario's step."""
        if self.step is not None and step != self.step:
            return "ok"
        mode = ONCE.get(self.mode) or THEN_OK.get(self.mode) or self.mode
        limit = self.failures
        if limit is None and self.mode in ONCE:
            limit = 1
        if limit is None and self.mode in THEN_OK:
            limit = 2
        return "ok" if limit is not None and matched > limit else mode

    def delay(self, behaviour: str) -> float:
        """Seconds to wait before answering a request that behaves as `behaviour`.

        A "slow" scenario slows only the requests it matches (its `step`, its
        first `failures`); any other scenario's `delay_seconds` delays every answer.
        """
        if behaviour == "slow":
            return SLOW_DEFAULT_SECONDS if self.delay_seconds is None else self.delay_seconds
        if self.mode == "slow":
            return 0.0
        return self.delay_seconds or 0.0


class Load(BaseModel):
    """A model-like latency per answer and a few seeded faults (--load; see the docstring)."""

    model_config = ConfigDict(extra="forbid")

    median_seconds: float = Field(2.5, gt=0)
    sigma: float = Field(0.6, ge=0)
    min_seconds: float = Field(1.0, ge=0)
    max_seconds: float = Field(8.0, ge=0)
    http429: float = Field(0.0, ge=0, le=1)
    timeout: float = Field(0.0, ge=0, le=1)
    hang_seconds: float = Field(30.0, ge=0)
    seed: int = 1

    def draw(self, rng: random.Random) -> tuple[str, float]:
        """(mode, seconds to wait) for one answer: "http429" at once, "timeout" after
        hang_seconds, else "ok" after a clipped log-normal latency."""
        fault = rng.random()
        if fault < self.http429:
            return "http429", 0.0
        if fault < self.http429 + self.timeout:
            return "timeout", self.hang_seconds
        latency = rng.lognormvariate(math.log(self.median_seconds), self.sigma)
        return "ok", min(max(latency, self.min_seconds), self.max_seconds)


class FakeState:
    """One server's scenario, load and recorded requests."""

    def __init__(self, record: Path | None = None, load: Load | None = None) -> None:
        self.record = record
        self.scenario = Scenario()
        self.load = load
        self.rng = random.Random(load.seed if load else 0)
        self.matched = 0
        self.requests: list[dict[str, Any]] = []

    def set(self, scenario: Scenario) -> None:
        """Put a scenario in force, counting its failures from zero."""
        self.scenario = scenario
        self.matched = 0

    def behaviour(self, step: int | None) -> str:
        """Count this request against the scenario and say how to answer it."""
        if self.scenario.step is None or step == self.scenario.step:
            self.matched += 1
        return self.scenario.behaviour(step, self.matched)

    def log(self, entry: dict[str, Any]) -> None:
        """Remember a request (and append it to the --record file)."""
        self.requests.append(entry)
        if self.record is not None:
            with self.record.open("a", encoding="utf-8") as file:
                file.write(json.dumps(entry) + "\n")

    def counts(self) -> dict[str, int]:
        """Requests per step: {"plan": n, "week_1": n, ...}."""
        return dict(Counter(_label(entry["step"]) for entry in self.requests))


def create_app(state: FakeState | None = None) -> FastAPI:
    """A fresh app with its own state, so servers in one process do not share scenarios."""
    app = FastAPI(title="fake OpenAI")
    app.state.fake = fake = state or FakeState()

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        body = await request.json()
        schema, data = _schema_name(body), _read_data(body)
        if schema not in {"Plan", "Week"} or data is None:
            return _error(400, "fake server: expected a progen Plan or Week request")
        step = 0 if schema == "Plan" else int(data.get("week") or 0)
        mode = fake.behaviour(step)
        delay = fake.scenario.delay(mode)
        if fake.load is not None and mode == "ok":
            mode, delay = fake.load.draw(fake.rng)
        entry = _entry(request, body, schema, step, mode)
        if fake.load is not None:
            entry["delay_seconds"] = delay
        fake.log(entry)
        await asyncio.sleep(delay)
        if mode.startswith("http"):
            return _http_error(int(mode[4:]), request, fake.scenario.retry_after_ms)
        answer = _completion(body, schema, data, mode)
        entry["usage"] = answer["usage"]  # what this answer cost, for tests that add it up
        return JSONResponse(answer)

    @app.post("/_control/scenario")
    async def set_scenario(scenario: Scenario) -> Scenario:
        fake.set(scenario)
        return scenario

    @app.get("/_control/scenario")
    async def get_scenario() -> Scenario:
        return fake.scenario

    @app.get("/_control/requests")
    async def get_requests() -> dict[str, Any]:
        return {"requests": fake.requests, "counts": fake.counts()}

    @app.post("/_control/reset")
    async def reset() -> Scenario:
        fake.requests.clear()
        fake.set(Scenario())
        return fake.scenario

    return app


def _schema_name(body: JSON) -> str | None:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name")


def _read_data(body: JSON) -> JSON | None:
    """The <program_request> JSON of the first user message (re-asks add others), or None."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[0].get("content") if users else None
    match = DATA_BLOCK.search(content) if isinstance(content, str) else None
    return json.loads(match.group(1)) if match else None


def _entry(request: Request, body: JSON, schema: str, step: int, mode: str) -> JSON:
    """What a test may inspect about a request; never its headers."""
    response_format = body.get("response_format") or {}
    return {
        "at": time.time(),
        "path": request.url.path,
        "model": body.get("model"),
        "schema": schema,
        "response_format_type": response_format.get("type"),
        "strict": (response_format.get("json_schema") or {}).get("strict"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "step": step,
        "week": step or None,
        "mode": mode,
        "messages": [
            {"role": m.get("role"), "content": m.get("content")} for m in body["messages"]
        ],
        "usage": None,  # set once answered (stays None for HTTP errors)
    }


def _label(step: int) -> str:
    return "plan" if step == 0 else f"week_{step}"


def _completion(body: JSON, schema: str, data: JSON, mode: str) -> JSON:
    """A chat.completion body in the given (non-HTTP-error) mode."""
    content = json.dumps(_plan(data, mode) if schema == "Plan" else _week(data, mode))
    message: JSON = {"role": "assistant", "content": content, "refusal": None}
    finish_reason = "stop"
    if mode in {"badjson", "length"}:
        message["content"] = content[: len(content) // 2]
        finish_reason = "length" if mode == "length" else "stop"
    elif mode == "refusal":
        message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    elif mode == "content_filter":
        message["content"], finish_reason = "", "content_filter"
    prompt_chars = sum(len(str(m.get("content") or "")) for m in body["messages"])
    answer_chars = len(message["content"] or message["refusal"] or "")
    prompt_tokens, completion_tokens = prompt_chars // 4, answer_chars // 4
    return {
        "id": f"chatcmpl-fake-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _plan(data: JSON, mode: str) -> JSON:
    weeks = int(data["weeks"]) + (1 if mode == "invalid_program" else 0)
    goal = str(data["goal"]).replace("_", " ")
    return {
        "title": f"{data['weeks']}-week {goal} program",
        "summary": f"{data['days_per_week']} sessions a week of {data['session_minutes']} "
        f"minutes, building {goal} step by step.",
        "weeks": [{"week": n, "focus": _focus(n, weeks)} for n in range(1, weeks + 1)],
    }


def _focus(number: int, weeks: int) -> str:
    if weeks >= 5 and number % 4 == 0:
        return "Deload: half the sets, same exercises"
    return "Foundation: learn the movements" if number == 1 else "Build: add reps or load"


def _week(data: JSON, mode: str) -> JSON:
    number, days = int(data["week"]), int(data["days_per_week"])
    days += 1 if mode == "invalid_program" else 0
    names = [name for kind in data.get("equipment") or ["bodyweight"] for name in EXERCISES[kind]]
    return {
        "week": number,
        "focus": _focus(number, int(data["weeks"])),
        "sessions": [_session(day, names, data, mode) for day in range(1, days + 1)],
    }


def _session(day: int, names: list[str], data: JSON, mode: str) -> JSON:
    """A session like a model writes one: a warm-up, then exercises with a cue and an
    effort instruction each, fitted to the minutes asked (rule_breaking: not fitted)."""
    minutes = int(data["session_minutes"])
    warmup = min(10, max(3, minutes // 8))
    budget = (minutes - warmup) * 60
    count = max(1, min(SESSION_EXERCISES_MAX, budget // (3 * SECONDS_PER_SET)))
    sets = max(1, min(5, budget // (count * SECONDS_PER_SET)))
    picks = [names[(day * 3 + i) % len(names)] for i in range(count)]
    if mode == "rule_breaking":
        picks, sets = ["Barbell back squat", *picks], 10
    work = [
        {"name": name, "sets": sets, "reps": "8-10", "rest_seconds": 90,
         "notes": f"{CUE} Leave 2 reps in reserve (RIR 2) on the last set."}
        for name in dict.fromkeys(picks)
    ]  # fmt: skip
    return {
        "day": day,
        "name": f"Day {day}",
        "duration_minutes": minutes,
        "warmup": {"minutes": warmup, "description": "Easy cardio, then mobility for the day."},
        "exercises": work,
    }


def _http_error(status: int, request: Request, retry_after_ms: int | None) -> JSONResponse:
    headers = {}
    if retry_after_ms is not None and (status == 429 or status >= 500):
        headers["retry-after-ms"] = str(retry_after_ms)
    message = f"fake HTTP {status}"
    if status == 401:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        message = f"Incorrect API key provided: {key}."
    return _error(status, message, headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    error_type, code = HTTP_ERRORS.get(status, ("invalid_request_error", None))
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def start_in_thread(
    port: int = 0, record: Path | None = None
) -> tuple[uvicorn.Server, str, threading.Thread]:
    """Serve on 127.0.0.1:`port` (0 = any free port) in a daemon thread.

    Returns (server, base_url, thread); stop with `server.should_exit = True`
    and `thread.join()`.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(create_app(FakeState(record)), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/v1", thread


def main() -> None:
    """Run in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--record", type=Path, help="append every request to FILE (JSON lines)")
    parser.add_argument("--scenario", help='initial scenario as JSON, e.g. \'{"mode": "slow"}\'')
    parser.add_argument("--load", help="model-like latency and faults as JSON (see above)")
    parser.add_argument("--quiet", action="store_true", help="no access log (for load runs)")
    args = parser.parse_args()
    state = FakeState(args.record, Load.model_validate_json(args.load) if args.load else None)
    if args.scenario:
        state.set(Scenario.model_validate_json(args.scenario))
    print(f"fake OpenAI on http://127.0.0.1:{args.port}/v1 (mode {state.scenario.mode})")
    level = "warning" if args.quiet else "info"
    uvicorn.run(create_app(state), host="127.0.0.1", port=args.port, log_level=level)


if __name__ == "__main__":
    main()
