"""`python -m bench`: run every part, print the tables, write bench/results.json and docs/BENCHMARKS.md.

    python -m bench [--quick] [--only calls,writecost,coldstart,http] [--reference OLD.json]

The in-process parts (AWS calls, write cost) run first against an embedded moto started here;
the cold starts run in fresh child processes; the HTTP part starts the local stack as a child.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import coldstart, http_load, operations, report, stack, writecost
from bench.awscalls import Recorder
from bench.lambda_env import lambda_python

PARTS = ("calls", "writecost", "coldstart", "http")
RESULTS = Path(__file__).with_name("results.json")
DOCUMENT = stack.ROOT / "docs" / "BENCHMARKS.md"
PLOTS = {"write_cost": "benchmarks/write-cost.png", "cold_start": "benchmarks/cold-start.png"}
HTTP_NOTE = (
    "A regression figure, not a capacity claim: API Gateway, every function and the embedded AWS run in one "
    "Python process on this machine and moto's request handling dominates; the local gateway runs one request "
    "per function at a time (one warm execution environment), so concurrency 8 raises latency rather than "
    "throughput. One new loopback connection per request; each phase bounded by its request count and "
    f"{http_load.PHASE_SECONDS:.0f} s."
)


@dataclass(frozen=True)
class Options:
    parts: tuple[str, ...]
    rounds: int
    breakdown_runs: int
    sizes: tuple[int, ...]
    load: http_load.Load
    reference: Path | None
    output: Path
    document: Path | None


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few runs of everything, for trying the bench out")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    parser.add_argument("--rounds", type=int, help="interleaved cold-start runs per function (default 20)")
    parser.add_argument("--sizes", default="10,100,1000", help="group sizes for the write cost")
    parser.add_argument("--reference", type=Path, help="an earlier results.json to show cold start 'before' from")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-document", action="store_true", help="leave docs/BENCHMARKS.md and its plots alone")
    args = parser.parse_args(argv)
    parts = tuple(part for part in args.only.split(",") if part)
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    quick = args.quick
    return Options(
        parts=parts,
        rounds=args.rounds or (3 if quick else 20),
        breakdown_runs=1 if quick else 3,
        sizes=tuple(int(size) for size in args.sizes.split(",")),
        load=http_load.Load(get_requests=40, accept_requests=20) if quick else http_load.Load(),
        reference=args.reference or (args.output if args.output.exists() else None),
        output=args.output,
        document=None if args.no_document else DOCUMENT,
    )


def in_process_parts(options: Options, endpoint: str) -> dict[str, Any]:
    """AWS calls per operation and write cost, through the handlers in this process, against a fresh moto."""
    results: dict[str, Any] = {}
    if "calls" not in options.parts and "writecost" not in options.parts:
        return results
    api = stack.Api()
    inspect = stack.raw_client("dynamodb", endpoint)
    recorder = Recorder(inspect)
    with recorder.installed():
        if "calls" in options.parts:
            stack.reset_aws(endpoint)
            results["aws_calls"] = [result.as_dict() for result in operations.run_flow(api, recorder)]
        if "writecost" in options.parts:
            stack.reset_aws(endpoint)
            results["write_cost"] = write_cost_part(writecost.run(api, recorder, inspect, options.sizes), options.sizes)
    return results


def write_cost_part(costs: list[writecost.Cost], sizes: tuple[int, ...]) -> dict[str, Any]:
    return {
        "sizes": list(sizes),
        "operations": list(writecost.OPERATIONS),
        "results": [cost.as_dict() for cost in costs],
        "constant": writecost.constant_in_size(costs),
        "model": "computed from item sizes (bench/itemsize.py): moto does not report consumed capacity",
    }


def http_part(options: Options, environment: dict[str, str]) -> dict[str, Any]:
    """The local stack over HTTP, or why it could not be measured."""
    if importlib.util.find_spec("devstack.run") is None:
        return {
            "status": "pending",
            "note": "devstack has no `run` module yet (`python -m devstack.run`)",
            "results": [],
        }
    log = stack.ROOT / ".local" / "bench" / "http-stack.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        phases = http_load.run(options.load, log, environment)
    except stack.BenchError as failure:
        return {"status": "failed", "note": str(failure), "results": []}
    return {"status": "ok", "note": HTTP_NOTE, "results": phases}


def run_info(started: float) -> dict[str, Any]:
    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=stack.ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain")),
    }


def reference_of(path: Path | None) -> dict[str, Any] | None:
    """The cold start of an earlier run, to print beside this one as 'before'."""
    if path is None or not path.exists():
        return None
    earlier = json.loads(path.read_text())
    if "cold_start" not in earlier:
        return None
    run = earlier.get("run", {})
    label = f"{path.name} of {run.get('finished_at', '?')}, commit {run.get('commit', '?')}"
    return {"label": label, "results": earlier["cold_start"]["results"]}


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    started = time.monotonic()
    environment = dict(os.environ)
    stack.use_layer()
    # One embedded AWS for every in-process part: the functions' code binds its endpoint when first imported.
    with stack.embedded_aws() as endpoint:
        stack.point_process_at(endpoint)
        results = in_process_parts(options, endpoint)
        if "coldstart" in options.parts:
            results["cold_start"] = coldstart.run(lambda_python(), options.rounds, options.breakdown_runs, endpoint)
            results["cold_start_reference"] = reference_of(options.reference)
    if "http" in options.parts:
        results["http"] = http_part(options, environment)
    results["run"] = run_info(started)
    return publish(results, options)


def publish(results: dict[str, Any], options: Options) -> int:
    """Print, then write results.json, the plots and the document; fail when a figure misses its mark."""
    results = {key: value for key, value in results.items() if value is not None}
    print(report.terminal(results))
    options.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {options.output}")
    if options.document is not None:
        from bench import plots

        drawn = {}
        if "write_cost" in results:
            plots.write_cost(results["write_cost"], options.document.parent / PLOTS["write_cost"])
            drawn["write_cost"] = PLOTS["write_cost"]
        if "cold_start" in results:
            plots.cold_start(results["cold_start"], options.document.parent / PLOTS["cold_start"])
            drawn["cold_start"] = PLOTS["cold_start"]
        report.update_document(options.document, report.render(results, drawn))
        print(f"wrote {options.document}")
    return 1 if results.get("http", {}).get("status") == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
