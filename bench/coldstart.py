"""Cold start per function beside a baseline process that only imports boto3 and creates one client.

What is timed: from just before the parent spawns a fresh interpreter to the moment the child,
with the function's module imported and its handler looked up (Lambda's init: Powertools
objects, resolver, routes and PynamoDB models created at import), reads the system-wide
monotonic clock. The child prints that reading and the parent subtracts its own start
reading (`time.monotonic_ns` is CLOCK_MONOTONIC, one clock for every process on Linux), so
process start, interpreter start-up and imports are counted and exit/teardown is not.

The child's environment is a Lambda function's: template.yaml's variables, the runtime's
(LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, ...), fake credentials and no endpoint override.
With LAMBDA_TASK_ROOT set, Powertools' Tracer is live and patches the SDKs at import, as it
does in Lambda with `Tracing: Active`. sys.path is [function code, layer source, venv], as
Lambda's is [/var/task, /opt/python, runtime].

Runs are interleaved (baseline, f1, f2, ..., baseline, f1, ...) after one discarded warm-up
round (which also writes the .pyc files), and each target's median is divided by the
baseline's median of the same run.
"""

import os
import statistics
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import importtime
from bench.stack import FAKE_CREDENTIALS, LAYER, REGION, ROOT, BenchError, function_environment
from devstack.template import functions, load_template

BASELINE = "baseline"
TARGET_RATIO = 1.3
_PRELUDE = "import sys, time, importlib\n"
_READY = "sys.stdout.write('\\n%d\\n' % time.monotonic_ns())\nsys.stdout.flush()\n"


@dataclass(frozen=True)
class Target:
    name: str
    script: str
    env: dict[str, str]


def lambda_environment(function_name: str, task_root: Path) -> dict[str, str]:
    """What Lambda's python3.13 runtime sets, plus template.yaml's variables; nothing from this shell."""
    return (
        function_environment()
        | FAKE_CREDENTIALS
        | {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_SESSION_TOKEN": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "_HANDLER": "app.lambda_handler",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
    )


def child_script(paths: list[str], body: str) -> str:
    """A child that puts `paths` first on sys.path, runs `body`, then prints the clock."""
    prefix = f"sys.path[:0] = {paths!r}\n" if paths else ""
    return _PRELUDE + prefix + body + _READY


def baseline_target() -> Target:
    """The floor any Python function with the SDK pays: boto3 imported and one DynamoDB client created."""
    script = child_script([], "import boto3\nboto3.client('dynamodb')\n")
    return Target(BASELINE, script, lambda_environment("baseline", LAYER))


def function_target(name: str, code_dir: Path, layer: Path, handler: str, extra_paths: tuple[Path, ...] = ()) -> Target:
    """Import `handler` (module.function) the way Lambda's bootstrap does, with the layer on sys.path."""
    module, attribute = handler.rsplit(".", 1)
    paths = [str(code_dir), str(layer), *map(str, extra_paths)]
    script = child_script(paths, f"handler = getattr(importlib.import_module({module!r}), {attribute!r})\n")
    return Target(name, script, lambda_environment(name, code_dir))


def function_targets(
    layer: Path = LAYER, code_root: Path | None = None, only: Iterable[str] = (), extra_paths: tuple[Path, ...] = ()
) -> list[Target]:
    """One target per function of template.yaml; `code_root` swaps the repo for a scratch copy of it."""
    wanted = set(only)
    targets = []
    for logical_id, spec in functions(load_template()).items():
        if wanted and logical_id not in wanted:
            continue
        code_dir = spec.code_uri if code_root is None else code_root / spec.code_uri.relative_to(ROOT)
        targets.append(function_target(logical_id, code_dir, layer, spec.handler, extra_paths))
    return targets


def time_once(python: Path, target: Target) -> int:
    """Nanoseconds from spawning the child to its handler being ready."""
    start = time.monotonic_ns()
    done = subprocess.run(  # noqa: S603 - the bench's own interpreter and script
        [str(python), "-c", target.script], env=target.env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"cold start of {target.name} failed:\n{done.stderr[-3000:]}")
    return int(done.stdout.strip().splitlines()[-1]) - start


def sample(python: Path, targets: list[Target], rounds: int, *, warm_up: bool = True) -> dict[str, list[float]]:
    """Milliseconds per target over `rounds` interleaved rounds, after one discarded warm-up round."""
    for target in targets if warm_up else ():
        time_once(python, target)
    samples: dict[str, list[float]] = {target.name: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            samples[target.name].append(time_once(python, target) / 1e6)
    return samples


@dataclass(frozen=True)
class Summary:
    name: str
    samples_ms: list[float]
    baseline_ms: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def spread_ms(self) -> tuple[float, float]:
        """The middle half of the runs (first to third quartile)."""
        if len(self.samples_ms) < 2:
            return self.samples_ms[0], self.samples_ms[0]
        low, _, high = statistics.quantiles(self.samples_ms, n=4, method="inclusive")
        return low, high

    @property
    def ratio(self) -> float:
        return self.median_ms / self.baseline_ms

    def as_dict(self) -> dict[str, Any]:
        low, high = self.spread_ms
        return {
            "name": self.name,
            "median_ms": round(self.median_ms, 1),
            "q1_ms": round(low, 1),
            "q3_ms": round(high, 1),
            "ratio": round(self.ratio, 3),
            "within_target": self.ratio <= TARGET_RATIO,
            "samples_ms": [round(value, 1) for value in self.samples_ms],
        }


def summarize(samples: Mapping[str, list[float]], baseline: str = BASELINE) -> list[Summary]:
    floor = statistics.median(samples[baseline])
    return [Summary(name, values, floor) for name, values in samples.items()]


def import_breakdown(python: Path, target: Target, runs: int) -> dict[str, Any]:
    """`-X importtime` of one target, `runs` times; the run with the median total is the one reported."""
    trees = []
    for _ in range(runs):
        done = subprocess.run(  # noqa: S603 - the bench's own interpreter and script
            [str(python), "-X", "importtime", "-c", target.script],
            env=target.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"-X importtime of {target.name} failed:\n{done.stderr[-3000:]}")
        trees.append(importtime.parse(done.stderr))
    trees.sort(key=importtime.total_us)
    roots = trees[len(trees) // 2]
    return {
        "total_ms": round(importtime.total_us(roots) / 1000, 1),
        "by_package_ms": {name: round(us / 1000, 1) for name, us in importtime.by_package(roots).items()},
        "our_imports": [
            {"importer": entry.importer, "module": entry.module, "ms": round(entry.cumulative_us / 1000, 1)}
            for entry in importtime.our_imports(roots)
        ],
    }


def run(python: Path, rounds: int, breakdown_runs: int) -> dict[str, Any]:
    """The cold-start part of the bench: summaries per function and an import breakdown per target."""
    targets = [baseline_target(), *function_targets()]
    summaries = summarize(sample(python, targets, rounds))
    return {
        "interpreter": str(python.relative_to(ROOT)) if python.is_relative_to(ROOT) else str(python),
        "python": _version(python),
        "rounds": rounds,
        "target_ratio": TARGET_RATIO,
        "measure": "spawn to handler ready (child's CLOCK_MONOTONIC minus parent's), median of interleaved runs",
        "results": [summary.as_dict() for summary in summaries],
        "breakdown": {target.name: import_breakdown(python, target, breakdown_runs) for target in targets},
    }


def _version(python: Path) -> str:
    done = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"], **_quiet())  # noqa: S603
    return done.stdout.strip()


def _quiet() -> dict[str, Any]:
    return {"capture_output": True, "text": True, "check": True, "env": {"PATH": os.environ.get("PATH", "")}}
