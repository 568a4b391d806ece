"""program.ics and program.csv: through the real app, parsed back with real parsers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fastapi.testclient import TestClient

import factories
from api.app import create_app
from programs import exports

REQUEST = factories.make_request(weeks=3, days_per_week=3)


@pytest.fixture
def client(db_url) -> Iterator[TestClient]:
    with TestClient(create_app(factories.app_settings(db_url))) as client:
        yield client


def _completed(client: TestClient, request: dict[str, Any] = REQUEST) -> dict[str, Any]:
    job = client.post("/api/programs/generate", json=request).json()
    return factories.wait_for(
        lambda: (
            (got := client.get(f"/api/programs/jobs/{job['id']}").json())["status"] == "completed"
            and got
        )
    )


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def test_ics_has_one_event_per_session_on_the_chosen_days_and_time(client):
    job = _completed(client)
    response = client.get(
        f"/api/programs/jobs/{job['id']}/program.ics",
        params={
            "start": "2027-03-22",
            "days": "tue,thu,sat",
            "time": "07:30",
            "tz": "Europe/Paris",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"].endswith('.ics"')
    events = _events(response.content)
    sessions = [(w, s) for w in job["result"]["weeks"] for s in w["sessions"]]
    assert len(events) == len(sessions) == 9
    paris = ZoneInfo("Europe/Paris")
    expected_days = [
        date(2027, 3, 23) + timedelta(days=7 * w + d) for w in range(3) for d in (0, 2, 4)
    ]
    for event, (_week, session), day in zip(events, sessions, expected_days, strict=True):
        start = event.decoded("dtstart")
        assert start.date() == day
        # 07:30 in Paris on both sides of the switch to summer time (2027-03-28)
        assert start.astimezone(paris).time() == time(7, 30)
        assert str(event["summary"]) == session["name"]
        assert event.decoded("duration") == timedelta(minutes=session["duration_minutes"])
        first = session["exercises"][0]
        assert f"{first['name']}: {first['sets']} × {first['reps']}" in str(event["description"])
    assert len({str(event["uid"]) for event in events}) == 9
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Europe/Paris" in response.content


def test_ics_defaults_start_next_monday_spread_days_at_18_utc(client):
    job = _completed(client)
    events = _events(client.get(f"/api/programs/jobs/{job['id']}/program.ics").content)
    starts = [event.decoded("dtstart") for event in events]
    monday = exports.next_monday(datetime.now(ZoneInfo("UTC")).date())
    assert [s.date() for s in starts[:3]] == [monday, monday + timedelta(2), monday + timedelta(4)]
    assert all(s.time() == time(18, 0) and s.utcoffset() == timedelta(0) for s in starts)


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"start": "2027-02-30"}, "start"),
        ({"start": "20270301"}, "start"),
        ({"start": "9999-12-31"}, "start"),
        ({"days": "mon,wed"}, "days"),
        ({"days": "mon,wed,funday"}, "days"),
        ({"days": "mon,mon,fri"}, "days"),
        ({"time": "24:00"}, "time"),
        ({"time": "7pm"}, "time"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"start": "x" * 33}, "start"),
    ],
)
def test_ics_bad_options_are_422_naming_the_option(client, params, word):
    job = _completed(client)
    response = client.get(f"/api/programs/jobs/{job['id']}/program.ics", params=params)
    assert response.status_code == 422, response.text
    assert word in str(response.json()["detail"])


def test_csv_has_a_header_and_one_row_per_exercise(client):
    job = _completed(client)
    response = client.get(f"/api/programs/jobs/{job['id']}/program.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == exports.CSV_COLUMNS
    expected = [
        [str(w["week"]), str(s["day"]), s["name"], str(i), e["name"], str(e["sets"]), e["reps"],
         str(e["rest_seconds"]), e["notes"]]
        for w in job["result"]["weeks"] for s in w["sessions"]
        for i, e in enumerate(s["exercises"], start=1)
    ]  # fmt: skip
    assert rows[1:] == expected


@pytest.mark.parametrize("suffix", ["program.ics", "program.csv"])
def test_exports_of_an_unfinished_job_are_409_and_of_no_job_404(db_url, suffix):
    slow = factories.app_settings(db_url, generation_step_delay_seconds=5, shutdown_grace_seconds=0)
    with TestClient(create_app(slow)) as client:
        job = client.post("/api/programs/generate", json=REQUEST).json()
        response = client.get(f"/api/programs/jobs/{job['id']}/{suffix}")
        assert response.status_code == 409
        assert "completed" in response.json()["detail"]
        missing = "01900000-0000-7000-8000-000000000000"
        assert client.get(f"/api/programs/jobs/{missing}/{suffix}").status_code == 404
        assert client.get(f"/api/programs/jobs/not-an-id/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["program.ics", "program.csv"])
def test_exports_need_the_api_token(db_url, suffix):
    token = "t" * 32
    with TestClient(create_app(factories.app_settings(db_url, api_token=token))) as client:
        auth = {"Authorization": f"Bearer {token}"}
        job = client.post("/api/programs/generate", json=REQUEST, headers=auth).json()
        assert client.get(f"/api/programs/jobs/{job['id']}/{suffix}").status_code == 401


# --- the pure parts -----------------------------------------------------------------------------


def test_sessions_keep_their_order_when_the_program_starts_mid_week():
    options = exports.calendar_options(
        days_per_week=3, start="2027-01-06", days="mon,wed,fri", at=None, tz=None
    )  # a Wednesday
    first, second = exports.session_dates(options, 2)
    assert first == [date(2027, 1, 6), date(2027, 1, 8), date(2027, 1, 11)]  # Wed, Fri, Mon
    assert second == [day + timedelta(7) for day in first]


@pytest.mark.parametrize("count", range(1, 8))
def test_default_days_are_one_per_session(count):
    options = exports.calendar_options(days_per_week=count, start=None, days=None, at=None, tz=None)
    assert len(set(options.weekdays)) == count
    assert options.start.weekday() == 0


def test_a_cell_a_spreadsheet_would_run_is_quoted():
    program = {
        "weeks": [
            {
                "week": 1,
                "sessions": [
                    {
                        "day": 1,
                        "name": "=HYPERLINK(\"http://x\")",
                        "exercises": [
                            {"name": "@SUM(A1)", "sets": 3, "reps": "8-10", "rest_seconds": 90,
                             "notes": "-keep the back flat"},
                        ],
                    }
                ],
            }
        ]
    }  # fmt: skip
    row = list(csv.reader(io.StringIO(exports.to_csv(program))))[1]
    assert row[2].startswith("'=") and row[4].startswith("'@") and row[8].startswith("'-")
    assert row[6] == "8-10"  # only a leading sign is quoted


def test_file_names_differ_for_jobs_made_the_same_minute():
    program = {"title": "Strength: 3 days × 8 weeks!"}
    first = exports.filename(program, "019ae000-0000-7000-8000-00000000abcd", "ics")
    second = exports.filename(program, "019ae000-0000-7000-8000-00000000ef01", "ics")
    assert first == "strength-3-days-8-weeks-0000abcd.ics"
    assert first != second
