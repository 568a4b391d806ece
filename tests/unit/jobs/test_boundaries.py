"""Structural rules, read from the syntax tree of `src/`.

Layers: `api → programs → jobs → db`; a module imports its own layer or
lower ones, and `settings` only at the edges. One module writes the jobs
table: `jobs/store.py`; every form of write anywhere else is found.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.models import Job

SRC = Path(__file__).resolve().parents[3] / "src"
LAYERS = {"db": 0, "jobs": 1, "programs": 2, "api": 3}
#: the processes' entry points (the API is the server's), and the one place settings
#: become engine knobs: they may read settings
EDGE_PACKAGES = {"api"}
EDGES = {
    "settings.py",
    "cleanup_cli.py",
    "db/migrations/env.py",  # alembic's entry point (reads the URL, registers the tables)
}
#: edges inside a layer, each with its reason
EDGE_IMPORTS = {
    # the seed's snippet: `from db.database import engine` builds one from the settings
    ("db/database.py", "settings"),
    # the generators are chosen and configured from settings (the domain's edge, not the engine's)
    ("programs/generators/__init__.py", "settings"),
    ("programs/generators/openai_generator.py", "settings"),
}
TABLE = Job.__tablename__
WRITERS = {"jobs/store.py", "jobs/journal.py", "jobs/models.py"}  # the store, its inserts
#: columns whose assignment on an object writes job state (the ORM flushes it)
STATE_COLUMNS = {
    "status",
    "owner",
    "heartbeat_at",
    "attempts",
    "max_attempts",
    "cancel_requested",
    "next_attempt_at",
    "steps",
    "steps_done",
    "finished_at",
    "recoveries",
    "recovery_note",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), ast.parse(path.read_text(), str(path))


def _imported(tree: ast.AST) -> Iterator[str]:
    """The top-level package of every absolute import, at any depth (lazy ones too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def layering_problems(name: str, tree: ast.AST) -> list[str]:
    """Imports of `name` that go up a layer, or reach settings from inside one."""
    if name in EDGES:
        return []
    layer = LAYERS.get(name.split("/")[0])
    problems = []
    for package in set(_imported(tree)):
        if (name, package) in EDGE_IMPORTS:
            continue
        if package == "cleanup_cli" or (
            package == "settings" and name.split("/")[0] not in EDGE_PACKAGES
        ):
            problems.append(f"{name} imports {package}")
        elif layer is not None and LAYERS.get(package, -1) > layer:
            problems.append(f"{name} imports {package}")
    return problems


def _names_jobs(node: ast.expr) -> bool:
    """`Job`, `JOBS` (the store's alias of the table) or `Job.__table__`."""
    if isinstance(node, ast.Name):
        return node.id in {"Job", "JOBS"}
    return isinstance(node, ast.Attribute) and _names_jobs(node.value)


def _raw_write(text: str) -> bool:
    lowered = text.lower()
    return TABLE in lowered and any(verb in lowered for verb in ("update", "insert", "delete"))


def writes_to_jobs(tree: ast.AST) -> list[int]:
    """Lines that write the jobs table: an UPDATE/INSERT/DELETE built on it, a new
    `Job(...)`, an assignment to a state column, or SQL text that writes it."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in {"update", "insert", "delete"} and node.args and _names_jobs(node.args[0]):
                lines.append(node.lineno)
            elif called == "Job":
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in STATE_COLUMNS:
                    lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _raw_write(node.value):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_each_layer_imports_only_itself_and_the_layers_below():
    problems = [p for name, tree in _modules() for p in layering_problems(name, tree)]
    assert problems == []


def test_the_engine_imports_without_the_service():
    """Every module of `jobs/` loads without settings, the domain or the API."""
    script = (
        "import importlib, pkgutil, sys, jobs\n"
        "for m in pkgutil.iter_modules(jobs.__path__): importlib.import_module('jobs.' + m.name)\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & "
        "{'settings', 'programs', 'api', 'pydantic_settings'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_only_the_store_writes_the_jobs_table():
    offenders = [
        f"{name}:{line}"
        for name, tree in _modules()
        if name not in WRITERS and not name.startswith("db/migrations/")
        for line in writes_to_jobs(tree)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "code",
    [
        "job.status = 'failed'",
        "row.heartbeat_at = now",
        "job.attempts += 1",
        "session.execute(sa.update(Job).values(owner=None))",
        "session.execute(sa.update(JOBS).values(owner=None))",
        "session.execute(update(Job.__table__).values(owner=None))",
        "session.execute(sa.insert(Job).values(id='x'))",
        "session.execute(sa.delete(JOBS))",
        "session.add(Job(id='x'))",
        f"session.execute(sa.text('UPDATE {TABLE} SET owner = NULL'))",
        f"conn.exec_driver_sql('delete from {TABLE}')",
    ],
)
def test_the_writer_check_finds_each_form_of_write(code):
    assert writes_to_jobs(ast.parse(code)) == [1]


@pytest.mark.parametrize(
    "code",
    [
        "job.progress_message",
        "sa.select(Job).where(Job.status == 'pending')",
        f"sa.text('SELECT count(*) FROM {TABLE}')",
        "sa.update(Instance).values(heartbeat_at=now)",
    ],
)
def test_the_writer_check_leaves_reads_alone(code):
    assert writes_to_jobs(ast.parse(code)) == []


def test_the_layering_check_finds_an_upward_or_settings_import():
    tree = ast.parse("import settings\nfrom programs import service\n")
    assert sorted(layering_problems("jobs/x.py", tree)) == [
        "jobs/x.py imports programs",
        "jobs/x.py imports settings",
    ]
    assert layering_problems("api/x.py", ast.parse("from programs import service")) == []
