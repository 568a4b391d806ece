#!/usr/bin/env python3
"""Hand back jobs stuck in_progress (see `--help`); the logic lives in src/jobs/cli.py.

Runs with the project's .venv even when the shell has not activated it, and
from the repository root, where the server's `.env` and default database are.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

os.chdir(ROOT)
sys.path.insert(0, str(ROOT / "src"))

from jobs.cli import main  # noqa: E402  (needs src/ on the path first)

raise SystemExit(main())
