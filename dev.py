#!/usr/bin/env python3
"""The two commands a new user needs, with nothing but Python installed.

    python3 dev.py run     install into .venv (first time) and start the server with demo data
    python3 dev.py test    install into .venv (first time) and run the whole test suite

Extra arguments go to ``mspcrm serve --demo`` (``--no-demo`` leaves the demo data out) or to
``pytest``. Uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".mspcrm-installed"


def _fingerprint(extras: str) -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under whatever python3 is there
        sys.exit(f"mspcrm needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint(extras)
    installed = STAMP.read_text() if STAMP.exists() else ""
    if installed in (wanted, _fingerprint("[test]")):  # the test install is a superset
        return
    print(f"installing mspcrm{extras} into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f".{extras}"], cwd=ROOT, check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    """``mspcrm serve --demo`` plus the caller's options (``--port 9000`` keeps the demo data)."""
    ensure_venv("")
    demo = [] if "--no-demo" in args else ["--demo"]
    rest = [a for a in args if a != "--no-demo"]
    return subprocess.call([str(BIN / "mspcrm"), "serve", *demo, *rest], cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_venv("[test]")
    workers = ["-n", os.environ.get("MSPCRM_TEST_WORKERS", "2")]
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *workers, *args], cwd=ROOT)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "install"):
        print(__doc__)
        return 2
    verb, rest = sys.argv[1], sys.argv[2:]
    if verb == "install":
        ensure_venv("[test]")
        return 0
    return run(rest) if verb == "run" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
