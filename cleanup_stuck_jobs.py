#!/usr/bin/env python3
"""Hand back jobs stuck in_progress (see `--help`); the logic lives in src/cleanup_cli.py.

Runs with the project's .venv even when the shell has not activated it (and
creates it first, as start_fastapi.sh does, when it is missing), and from the
repository root, where the server's `.env` and default database are.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MAKE_VENV = "source scripts/venv.sh && ensure_venv requirements.txt"


def _make_venv() -> None:
    """Create .venv from requirements.txt, or say in one sentence how to."""
    sys.stderr.write("cleanup_stuck_jobs.py: creating the project's .venv (first run only) ...\n")
    made = subprocess.run(["bash", "-c", MAKE_VENV], cwd=ROOT, check=False).returncode == 0
    if not made or not VENV_PYTHON.exists():
        sys.stderr.write(
            "cleanup_stuck_jobs.py: the project's .venv is missing and could not be created "
            f"(see above). Create it with ./start_fastapi.sh, or: cd {ROOT} && python3 -m venv "
            ".venv && .venv/bin/pip install -r requirements.txt\n"
        )
        raise SystemExit(1)


if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    if not VENV_PYTHON.exists():
        _make_venv()
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

os.chdir(ROOT)
sys.path.insert(0, str(ROOT / "src"))

from cleanup_cli import main  # noqa: E402  (needs src/ on the path first)

raise SystemExit(main())
