"""Cold start per function, first invocation included, beside a baseline that imports boto3 and calls GetItem once.

What is timed: from just before the parent spawns a fresh interpreter to the moment the child,
with the function's module imported and its handler looked up (Lambda's init) and then invoked
once with a successful request of its kind (bench/firstcall.py), reads the system-wide monotonic
clock. The baseline imports boto3, creates one DynamoDB client and makes one GetItem. The child
prints that reading and the parent subtracts its own start reading (`time.monotonic_ns` is
CLOCK_MONOTONIC, one clock for every process on Linux), so process start, interpreter start-up,
imports and the first request are counted and exit/teardown is not. Work moved from import time
to the first request therefore gains nothing here, as it gains nothing for the caller.

The child's environment is a Lambda function's: template.yaml's variables, the runtime's
(LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, _X_AMZN_TRACE_ID, ...), fake credentials, and
endpoints pointing at the embedded AWS (DynamoDB, SQS) and the bench's side server (JWKS,
@connections). With LAMBDA_TASK_ROOT set, Powertools' Tracer is live: it patches the SDKs at
import and records the invocation's segments, as it does in Lambda with `Tracing: Active`.
sys.path is [function code, layer source, venv], as Lambda's is [/var/task, /opt/python, runtime].

Runs are interleaved (baseline, f1, f2, ..., baseline, f1, ...) after one discarded warm-up
round (which also writes the .pyc files), and each target's median is divided by the
baseline's median of the same run.

    python -m bench.coldstart [--rounds N] [--only CreateChatgroupFunction,...] [--before DIR]

runs this part alone, for iterating; --before DIR adds a copy of the code base (e.g. a
`git worktree` of an earlier commit) as "<function> (before)" targets interleaved in the same run.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import firstcall, importtime
from bench.stack import FAKE_CREDENTIALS, LAYER, REGION, ROOT, BenchError, function_environment
from devstack import plumbing
from devstack.template import functions, load_template

BASELINE = "baseline"
BEFORE = " (before)"
FLOOR = "floor: Powertools"
FLOOR_VALIDATED = "floor: Powertools + validation"
"""bench/floor/powertools_floor.py without and with the event handler's validation: REST, no code of ours."""
FLOOR_CODE = Path(__file__).parent / "floor"
REFERENCES = (BASELINE, FLOOR, FLOOR_VALIDATED)
"""The targets that are not functions of ours: the table shows them to compare with, not to judge."""
TARGET_RATIO = 1.25
_PRELUDE = "import sys, time, importlib, json\n"
_READY = "sys.stdout.write('\\n%d\\n' % time.monotonic_ns())\nsys.stdout.flush()\n"
_INVOKE = """
class Context:
    function_name = {name!r}
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + {name!r}
    aws_request_id = "bench-first-request"
    log_group_name = "/aws/lambda/" + {name!r}
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 10000


request = json.loads(sys.stdin.read())
answer = handler(request["event"], Context())
expect = request["expect"]
if expect == "status 200":
    served = answer.get("statusCode") == 200
elif expect == "principal":
    served = bool(answer.get("principalId"))
elif expect == "signed up":
    served = answer.get("userName") == request["event"]["userName"]
else:
    served = not (answer or {{}}).get("batchItemFailures")
if not served:
    sys.stderr.write("expected " + expect + ", got " + json.dumps(answer)[:2000])
    sys.exit(3)
"""
_BASELINE = "import boto3\nclient = boto3.client('dynamodb')\nclient.get_item(**json.loads(sys.stdin.read()))\n"


@dataclass(frozen=True)
class Target:
    name: str
    script: str
    env: dict[str, str]
    function: str
    """Whose event it gets: a logical id, firstcall.FLOOR for the floors, BASELINE for the baseline."""
    copy: str = ""
    """BEFORE for a function of an older copy of the code base, which gets a state of its own."""


Inputs = Mapping[str, str]
"""Per target (by name), the JSON its child reads from stdin in one round."""


def lambda_environment(function_name: str, task_root: Path, overrides: Mapping[str, str] = {}) -> dict[str, str]:
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
        | dict(overrides)
    )


def child_script(paths: list[str], body: str) -> str:
    """A child that puts `paths` first on sys.path, runs `body`, then prints the clock."""
    prefix = f"sys.path[:0] = {paths!r}\n" if paths else ""
    return _PRELUDE + prefix + body + _READY


def baseline_target(overrides: Mapping[str, str] = {}) -> Target:
    """The floor any Python function with the SDK pays: boto3 imported, one DynamoDB client, one GetItem."""
    return Target(BASELINE, child_script([], _BASELINE), lambda_environment("baseline", LAYER, overrides), BASELINE)


def floor_targets(overrides: Mapping[str, str] = {}) -> list[Target]:
    """The floor of a REST function, twice: Powertools' event handler without and with its validation."""
    body = "handler = importlib.import_module('powertools_floor').lambda_handler\n"
    script = child_script([str(FLOOR_CODE)], body + _INVOKE.format(name=firstcall.FLOOR))
    return [
        Target(
            name,
            script,
            lambda_environment(firstcall.FLOOR, FLOOR_CODE, {**overrides, "FLOOR_VALIDATION": switch}),
            firstcall.FLOOR,
        )
        for name, switch in ((FLOOR, "off"), (FLOOR_VALIDATED, "on"))
    ]


def function_target(
    name: str,
    code_dir: Path,
    layer: Path,
    handler: str,
    overrides: Mapping[str, str] = {},
    function: str | None = None,
    copy: str = "",
) -> Target:
    """Import `handler` (module.function) the way Lambda's bootstrap does, with the layer on sys.path, then
    invoke it once with the event read from stdin."""
    module, attribute = handler.rsplit(".", 1)
    body = f"handler = getattr(importlib.import_module({module!r}), {attribute!r})\n" + _INVOKE.format(name=name)
    script = child_script([str(code_dir), str(layer)], body)
    return Target(name, script, lambda_environment(name, code_dir, overrides), function or name, copy)


def function_targets(
    layer: Path = LAYER,
    code_root: Path | None = None,
    only: Iterable[str] = (),
    overrides: Mapping[str, str] = {},
    suffix: str = "",
) -> list[Target]:
    """One target per function of template.yaml; `code_root` swaps the repo for a copy of it."""
    wanted = set(only)
    targets = []
    for logical_id, spec in functions(load_template()).items():
        if wanted and logical_id not in wanted:
            continue
        code_dir = spec.code_uri if code_root is None else code_root / spec.code_uri.relative_to(ROOT)
        targets.append(
            function_target(logical_id + suffix, code_dir, layer, spec.handler, overrides, logical_id, suffix)
        )
    return targets


@dataclass(frozen=True)
class Timing:
    wall_ns: int
    """Spawn to first invocation answered, as a caller waits for it."""
    cpu_ns: int
    """The child's CPU time (user + system) in all: what it computed, whatever else the machine was doing."""


def time_once(python: Path, target: Target, stdin: str) -> Timing:
    """Wall and CPU time of one child, from spawning it to its first invocation being answered (its exit
    counts in its CPU time, a few hundred µs, alike for every target)."""
    used_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic_ns()
    done = subprocess.run(  # noqa: S603 - the bench's own interpreter and script
        [str(python), "-c", target.script], env=target.env, input=stdin, capture_output=True, text=True, check=False
    )
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise BenchError(f"cold start of {target.name} failed:\n{done.stderr[-3000:]}")
    cpu_seconds = used.ru_utime + used.ru_stime - used_before.ru_utime - used_before.ru_stime
    return Timing(int(done.stdout.strip().splitlines()[-1]) - start, int(cpu_seconds * 1e9))


@dataclass
class Samples:
    """Milliseconds per target name, wall and CPU, one entry per round."""

    wall_ms: dict[str, list[float]]
    cpu_ms: dict[str, list[float]]


def sample(
    python: Path, targets: list[Target], rounds: int, inputs: Callable[[], Inputs], *, warm_up: bool = True
) -> Samples:
    """Each target over `rounds` interleaved rounds, after one discarded warm-up round; each round's events
    come from `inputs()`, called once per round."""
    if warm_up:
        given = inputs()
        for target in targets:
            time_once(python, target, given[target.name])
    samples = Samples({target.name: [] for target in targets}, {target.name: [] for target in targets})
    for _ in range(rounds):
        given = inputs()
        for target in targets:
            timing = time_once(python, target, given[target.name])
            samples.wall_ms[target.name].append(timing.wall_ns / 1e6)
            samples.cpu_ms[target.name].append(timing.cpu_ns / 1e6)
    return samples


def round_inputs(scenario: firstcall.Scenario, targets: list[Target]) -> Callable[[], Inputs]:
    """Per round: fresh state, every target's event and the baseline's GetItem, as stdin JSON. Two copies of
    a function (now and before) get a state each: the first one's request may change what the second finds."""

    def next_inputs() -> Inputs:
        given = {}
        for copy in dict.fromkeys(target.copy for target in targets):
            invocations = scenario.next_round()
            for target in targets:
                if target.copy == copy and target.function in invocations:
                    call = invocations[target.function]
                    given[target.name] = json.dumps({"event": call.event, "expect": call.expect})
        return given | {BASELINE: json.dumps(scenario.baseline_key())}

    return next_inputs


@dataclass(frozen=True)
class Summary:
    name: str
    samples_ms: list[float]
    baseline_ms: float
    cpu_samples_ms: list[float]
    baseline_cpu_ms: float
    floor_ms: float | None = None
    """The validated floor's median, for a REST function (None for the others)."""

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

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time: steadier than wall time on a machine busy with other work."""
        return statistics.median(self.cpu_samples_ms) / self.baseline_cpu_ms

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
            "cpu_median_ms": round(statistics.median(self.cpu_samples_ms), 1),
            "cpu_ratio": round(self.cpu_ratio, 3),
        } | ({"floor_ratio": round(self.median_ms / self.floor_ms, 3)} if self.floor_ms else {})


def summarize(samples: Samples, baseline: str = BASELINE, rest: Iterable[str] = ()) -> list[Summary]:
    """Every target against the baseline's median; the targets named in `rest` also against the validated floor."""
    base = statistics.median(samples.wall_ms[baseline])
    cpu_base = statistics.median(samples.cpu_ms[baseline])
    floor = statistics.median(samples.wall_ms[FLOOR_VALIDATED]) if FLOOR_VALIDATED in samples.wall_ms else None
    wanted = set(rest)
    return [
        Summary(name, values, base, samples.cpu_ms[name], cpu_base, floor if name in wanted else None)
        for name, values in samples.wall_ms.items()
    ]


def import_breakdown(python: Path, target: Target, runs: int, inputs: Callable[[], Inputs]) -> dict[str, Any]:
    """`-X importtime` of one target, first invocation included (what it imports lazily counts), `runs`
    times; the run with the median total is the one reported."""
    trees = []
    for _ in range(runs):
        done = subprocess.run(  # noqa: S603 - the bench's own interpreter and script
            [str(python), "-X", "importtime", "-c", target.script],
            env=target.env,
            input=inputs()[target.name],
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


def run(
    python: Path,
    rounds: int,
    breakdown_runs: int,
    endpoint: str,
    only: Iterable[str] = (),
    before: Path | None = None,
) -> dict[str, Any]:
    """The cold-start part of the bench against the embedded AWS at `endpoint` (reset first): summaries per
    function and an import breakdown per target; `before`, a copy of the code base, runs interleaved."""
    with firstcall.scenario(endpoint) as scenario:
        overrides = scenario.environment()
        targets = [baseline_target(overrides), *floor_targets(overrides)]
        targets += function_targets(only=only, overrides=overrides)
        if before is not None:
            targets += function_targets(before / "layers" / "shared", before, only, overrides, BEFORE)
        inputs = round_inputs(scenario, targets)
        rest = {name for name, spec in functions(load_template()).items() if spec.routes}
        rest_targets = [target.name for target in targets if target.function in rest]
        summaries = summarize(sample(python, targets, rounds, inputs), rest=rest_targets)
        breakdown = {target.name: import_breakdown(python, target, breakdown_runs, inputs) for target in targets}
    return {
        "interpreter": str(python.relative_to(ROOT)) if python.is_relative_to(ROOT) else str(python),
        "python": _version(python),
        "rounds": rounds,
        "target_ratio": TARGET_RATIO,
        "floor": FLOOR_VALIDATED,
        "measure": (
            "spawn to first invocation answered (child's CLOCK_MONOTONIC minus parent's), median of interleaved "
            "runs; the baseline: spawn to one GetItem answered"
        ),
        "results": [summary.as_dict() for summary in summaries],
        "breakdown": breakdown,
    }


def _version(python: Path) -> str:
    done = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"], **_quiet())  # noqa: S603
    return done.stdout.strip()


def _quiet() -> dict[str, Any]:
    return {"capture_output": True, "text": True, "check": True, "env": {"PATH": os.environ.get("PATH", "")}}


def main(argv: list[str] | None = None) -> int:
    """This part alone, printed as `make bench` prints it; nothing is written."""
    from bench import report, stack
    from bench.lambda_env import lambda_python

    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs per target (default 5)")
    parser.add_argument("--breakdown-runs", type=int, default=1, help="-X importtime runs per target (default 1)")
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    parser.add_argument("--before", type=Path, help="a copy of the code base to run interleaved as '(before)'")
    parser.add_argument("--json", type=Path, help="also write the part's results here")
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(only) - set(functions(load_template())))
    if unknown:
        parser.error(
            f"--only names no function of template.yaml: {', '.join(unknown)} (logical ids, e.g. GetChatgroupFunction)"
        )
    stack.use_layer()
    with plumbing.embedded_aws() as endpoint:
        stack.point_process_at(endpoint)
        part = run(
            lambda_python(),
            args.rounds,
            args.breakdown_runs,
            endpoint,
            only,
            args.before,
        )
    if args.json:
        args.json.write_text(json.dumps(part, indent=2) + "\n")
    print(report.cold_start(part, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
