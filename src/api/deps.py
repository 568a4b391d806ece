"""Typed dependencies the routes declare.

They are `async def` although they do no I/O: FastAPI runs a plain `def`
dependency in the thread pool, one hop per dependency per request.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

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


SettingsDep = Annotated[Settings, Depends(get_settings)]
ProgramsDep = Annotated[Programs, Depends(get_programs)]
EngineDep = Annotated[Engine, Depends(get_engine)]


async def require_token(request: Request, settings: SettingsDep) -> None:
    """With API_TOKEN set, demand `Authorization: Bearer <token>` (compared in constant time)."""
    if settings.api_token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.api_token.get_secret_value()
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Missing or wrong API token: send 'Authorization: Bearer <API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


TokenCheck = Depends(require_token)
