"""Run every benchmark script in this directory, one fresh interpreter each, and print them.

Usage: python benchmarks/run.py [ARGS…]   (ARGS are passed to every script)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run the scripts in name order; the exit code is the first failure's, or 0."""
    failed = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("run.py", "__init__.py"):
            continue
        print(f"=== {script.name}", flush=True)
        code = subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode
        if code and not failed:
            failed = code
    return failed


if __name__ == "__main__":
    sys.exit(main())
