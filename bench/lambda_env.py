"""An interpreter whose site-packages hold what a deployed function has, and nothing else.

The dev venv carries aws-sam-cli, moto and their dependencies; botocore imports awscrt and
urllib3 imports pyOpenSSL when they are installed, and the X-Ray SDK patches `requests` when
it is. Lambda has none of these, so a cold start measured in the dev venv would charge both the
baseline and the functions for imports they never make there. This venv is built from
bench/lambda-requirements.txt with the same Python 3.13 and rebuilt when that file (or the
layer's requirements) changes.
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from bench.stack import LAYER, ROOT

VENV = ROOT / ".local" / "bench" / "lambda-venv"
REQUIREMENTS = Path(__file__).with_name("lambda-requirements.txt")


def _fingerprint() -> str:
    contents = REQUIREMENTS.read_bytes() + (LAYER / "requirements.txt").read_bytes()
    return f"{sys.version}\n{hashlib.sha256(contents).hexdigest()}"


def lambda_python() -> Path:
    """The venv's interpreter, (re)built first when its requirements changed."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".bench-requirements"
    if python.exists() and stamp.exists() and stamp.read_text() == _fingerprint():
        return python
    _run([sys.executable, "-m", "venv", "--clear", str(VENV)])
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)])
    stamp.write_text(_fingerprint())
    return python


def _run(command: list[str]) -> None:
    """Run quietly; on failure show what the tool said, since the bench cannot go on without it."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - pip and venv of this Python
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


LAYER_WITHOUT_PYC = ROOT / ".local" / "bench" / "layer-without-pyc"


def layer_without_pyc(python: Path) -> Path:
    """The layer's dependencies installed the way sam build ships them: unpacked, never compiled to .pyc."""
    stamp = LAYER_WITHOUT_PYC / ".bench-requirements"
    if stamp.exists() and stamp.read_text() == _fingerprint():
        return LAYER_WITHOUT_PYC
    shutil.rmtree(LAYER_WITHOUT_PYC, ignore_errors=True)
    requirements = LAYER / "requirements.txt"
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(LAYER_WITHOUT_PYC),
            "-r",
            str(requirements),
        ]
    )
    stamp.write_text(_fingerprint())
    return LAYER_WITHOUT_PYC
