"""The lock files say what CI tested: they must hold every pin we chose, at the version we chose.

`make install` and the layer's build install from the locks only (with `--require-hashes`), so a pin
changed in a requirements file without `make lock` would be silently ignored. These tests catch that.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared"
LOCKS = [
    "requirements-dev.lock",
    "layers/shared/requirements-arm64.lock",
    "layers/shared/requirements-x86_64.lock",
    "requirements-checkov.lock",
    "bench/plot-requirements.lock",
]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _normalized(name: str) -> str:
    """PEP 503: `Foo_Bar`, `foo.bar` and `foo-bar` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: Path) -> dict[str, str]:
    """The `name==version` lines of a requirements file, following its `-r` includes."""
    pins: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.strip()
        if line.startswith("-r "):
            pins |= _pins(requirements.parent / line.removeprefix("-r ").strip())
        elif match := _PIN.match(line):
            pins[_normalized(match[1])] = match[2]
    return pins


def _not_locked(chosen: Path, lock: Path) -> dict[str, tuple[str, str | None]]:
    locked = _pins(lock)
    return {name: (version, locked.get(name)) for name, version in _pins(chosen).items() if locked.get(name) != version}


def test_the_dev_lock_holds_every_dev_and_layer_pin_at_its_version():
    # Given the pins we chose for development and for the layer (requirements-dev.txt includes the layer's)
    # When they are compared with requirements-dev.lock
    # Then each is locked at exactly that version (chosen, locked): else run `make lock`
    assert _not_locked(ROOT / "requirements-dev.txt", ROOT / "requirements-dev.lock") == {}


@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_each_architectures_layer_lock_holds_every_layer_pin_at_its_version(architecture):
    # Given the layer's pins, and the lock the layer's build installs from for this Lambda architecture
    lock = LAYER / f"requirements-{architecture}.lock"
    # When they are compared
    # Then each is locked at exactly that version (chosen, locked): else run `make lock`
    assert _not_locked(LAYER / "requirements.txt", lock) == {}


@pytest.mark.parametrize(
    ("chosen", "lock"),
    [
        ("requirements-checkov.txt", "requirements-checkov.lock"),
        ("bench/plot-requirements.txt", "bench/plot-requirements.lock"),
    ],
)
def test_checkovs_and_the_plots_lock_hold_every_pin_at_its_version(chosen, lock):
    # Given the pins we chose for checkov's .venv-checkov, or for the bench's plots
    # When they are compared with the lock `make checkov` or `make bench` installs from
    # Then each is locked at exactly that version (chosen, locked): else run `make lock`
    assert _not_locked(ROOT / chosen, ROOT / lock) == {}


def test_the_plots_lock_agrees_with_the_dev_lock_on_every_package_both_hold():
    # Given the plots' lock, which `make bench` installs into the .venv that `make install` filled from the dev lock
    plots, dev = _pins(ROOT / "bench" / "plot-requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    # When the packages both hold are compared
    # Then each is at one version in both (plots', dev's): else installing the plots would change what CI tested
    assert {name: (version, dev[name]) for name, version in plots.items() if dev.get(name, version) != version} == {}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_carries_its_hashes(lock):
    # Given a lock file
    lines = [line for line in (ROOT / lock).read_text().splitlines() if not line.startswith("#")]
    # When it is split into its requirements (a pin line and its continuation lines)
    entries = re.split(r"\n(?=[A-Za-z0-9])", "\n".join(lines))
    # Then every one has a sha256 hash, so pip's --require-hashes refuses any other file
    assert [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry] == []


def test_the_makefile_installs_every_lock_with_require_hashes_and_nothing_unpinned():
    # Given the Makefile's recipes
    installs = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines() if "pip install" in line]
    # When their pip installs are listed
    # Then each installs one of the locks with --require-hashes, so no install takes a file the locks do not name
    assert [line for line in installs if "--require-hashes -r" not in line or not line.endswith(".lock")] == []
    assert {line.split()[-1] for line in installs} == {
        "requirements-dev.lock",
        "requirements-checkov.lock",
        "bench/plot-requirements.lock",
    }
