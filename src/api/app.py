"""Builds the FastAPI app: routes, error mapping, the edge's middleware and the frontend."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import errors
from api.admission import Admission
from api.hosts import AllowedHosts
from api.lifespan import lifespan
from api.limits import BodyLimit
from api.routes import exports, health, metrics, programs, stream
from api.security_headers import SecurityHeaders
from settings import VERSION, Settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})  # pages with inline scripts
HEAVY_READS = 4  # full-job reads at once (each can hold a whole program): bounds their memory
DESCRIPTION = """Generates multi-week training programs as durable background jobs.

Submit with `POST /api/programs/generate`, then poll the job at the
`Location` header, honouring `Retry-After`, until its status is terminal
(`completed`, `failed` or `cancelled`)."""


def _bare_app(settings: Settings) -> FastAPI:
    """With docs, their scripts and styles come from this service (no CDN); without,
    /docs, /redoc and /openapi.json do not exist."""
    about: dict[str, Any] = {"title": "progen", "version": VERSION, "description": DESCRIPTION}
    if settings.docs_enabled:
        return FastAPIOffline(**about, lifespan=lifespan)
    return FastAPI(**about, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


def create_app(settings: Settings) -> FastAPI:
    """The service for these settings; the lifespan starts its job engine."""
    app = _bare_app(settings)
    app.state.settings = settings
    app.state.admission = Admission(settings.max_pending_jobs, settings.submit_rate_per_minute)
    app.state.heavy_reads = asyncio.Semaphore(HEAVY_READS)
    errors.register(app)
    app.include_router(programs.router)
    app.include_router(stream.router)
    app.include_router(exports.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    # Added innermost first. The client address is settled before anything reads it
    # (uvicorn applies the same rule when it serves; here it holds however the app runs).
    app.add_middleware(BodyLimit)
    app.add_middleware(AllowedHosts, hosts=settings.served_hosts)
    app.add_middleware(SecurityHeaders, docs_paths=DOCS_PATHS)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
