"""Regenerate the single initial migration from the models (pre-release development only)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "survey" / "migrations" / "versions"


def main() -> int:
    """Delete versions/*.py and autogenerate revision 0001 against an empty SQLite file."""
    for f in VERSIONS.glob("*.py"):
        f.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/empty.sqlite")
        hailong = str(Path(sys.executable).parent / "hailong")
        subprocess.run([hailong, "db", "migrate", "-m", "initial schema", "--rev-id", "0001"],
                       check=True, env=env, cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
