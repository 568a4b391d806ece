"""Builds the FastAPI app: routes, error mapping, body limit and the frontend."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api.lifespan import lifespan
from api.limits import BodyLimit
from api.routes import exports, health, metrics, programs
from settings import VERSION, Settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DESCRIPTION = """Generates multi-week training programs as durable background jobs.

Submit with `POST /api/programs/generate`, then poll the job at the
`Location` header, honouring `Retry-After`, until its status is terminal
(`completed`, `failed` or `cancelled`)."""


def create_app(settings: Settings) -> FastAPI:
    """The service for these settings; the lifespan starts its job engine."""
    app = FastAPI(title="progen", version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    errors.register(app)
    app.include_router(programs.router)
    app.include_router(exports.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_middleware(BodyLimit)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
