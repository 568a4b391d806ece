"""Typed dependencies the routes declare.

They are `async def` although they do no I/O: FastAPI runs a plain `def`
dependency in the thread pool, one hop per dependency per request.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from pydantic import SecretStr

from api import rejections
from api.admission import Admission
from jobs.engine import Engine
from programs.service import Programs
from settings import Settings


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_programs(request: Request) -> Programs:
    """The program-job service the lifespan built."""
    programs: Programs = request.app.state.programs
    return programs


async def get_engine(request: Request) -> Engine:
    """This process's job engine, which the lifespan started."""
    engine: Engine = request.app.state.engine
    return engine


async def get_admission(request: Request) -> Admission:
    """The app's admission control (queue cap and rate limit)."""
    admission: Admission = request.app.state.admission
    return admission


SettingsDep = Annotated[Settings, Depends(get_settings)]
ProgramsDep = Annotated[Programs, Depends(get_programs)]
AdmissionDep = Annotated[Admission, Depends(get_admission)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def _demand_bearer(request: Request, token: SecretStr | None, name: str) -> None:
    """With `token` set, demand `Authorization: Bearer <token>` (compared in constant time)."""
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value()
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), expected.encode()):
        rejections.count("auth")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"Missing or wrong token: send 'Authorization: Bearer <{name}>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def require_token(request: Request, settings: SettingsDep) -> None:
    """API_TOKEN, when set, guards every /api/programs route."""
    _demand_bearer(request, settings.api_token, "API_TOKEN")


async def require_metrics_token(request: Request, settings: SettingsDep) -> None:
    """METRICS_TOKEN, when set, guards /metrics (scrapers hold their own credential)."""
    _demand_bearer(request, settings.metrics_token, "METRICS_TOKEN")


async def caller(request: Request, settings: SettingsDep) -> str:
    """Who is asking, for scoping Idempotency-Keys: with API_TOKEN set, its holder (the
    one token is one caller; the token itself is never stored), else the client's
    address (behind a trusted proxy, the one it forwards)."""
    if settings.api_token is not None:
        return "token"
    return f"address:{request.client.host if request.client else 'unknown'}"


CallerDep = Annotated[str, Depends(caller)]
TokenCheck = Depends(require_token)
MetricsTokenCheck = Depends(require_metrics_token)
