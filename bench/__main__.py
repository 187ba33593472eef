"""`python -m bench`: run every part, print the tables, write docs/benchmarks/results.json and docs/BENCHMARKS.md.

    python -m bench [--quick] [--only calls,writecost,fanout,coldstart] [--reference OLD.json]

The in-process parts (AWS calls, write cost, fan-out) run first against an embedded moto started
here; the cold starts run in fresh child processes.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import coldstart, fanout, operations, report, stack, writecost
from bench.awscalls import Recorder
from bench.lambda_env import lambda_python
from devstack import plumbing
from devstack.aws import dynamodb

PARTS = ("calls", "writecost", "fanout", "coldstart")
DOCUMENT = stack.ROOT / "docs" / "BENCHMARKS.md"
RESULTS = DOCUMENT.parent / "benchmarks" / "results.json"
PLOTS = {"write_cost": "benchmarks/write-cost.png", "cold_start": "benchmarks/cold-start.png"}


@dataclass(frozen=True)
class Options:
    parts: tuple[str, ...]
    rounds: int
    breakdown_runs: int
    sizes: tuple[int, ...]
    fan_out_sizes: tuple[int, ...]
    messages: int
    reference: Path | None
    output: Path
    document: Path | None


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few runs of everything, for trying the bench out")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    parser.add_argument("--rounds", type=int, help="interleaved cold-start runs per function (default 20)")
    parser.add_argument("--sizes", default="10,100,1000", help="group sizes for the write cost")
    parser.add_argument("--fan-out-sizes", default="10,20,50,100,1000", help="connected members for the fan-out")
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
        fan_out_sizes=tuple(int(size) for size in args.fan_out_sizes.split(",")),
        messages=3 if quick else 20,
        reference=args.reference or (args.output if args.output.exists() else None),
        output=args.output,
        document=None if args.no_document else DOCUMENT,
    )


def in_process_parts(options: Options, endpoint: str) -> dict[str, Any]:
    """AWS calls per operation, write cost and fan-out, through the handlers in this process, against a fresh moto.

    The functions' own output (Powertools' metrics documents) is dropped, so that the tables stay readable."""
    results: dict[str, Any] = {}
    if not {"calls", "writecost", "fanout"} & set(options.parts):
        return results
    with contextlib.redirect_stdout(io.StringIO()):
        api = stack.Api()
        inspect = dynamodb(endpoint)
        recorder = Recorder(inspect)
        with recorder.installed():
            if "calls" in options.parts:
                plumbing.reset_aws(endpoint)
                results["aws_calls"] = [result.as_dict() for result in operations.run_flow(api, recorder)]
            if "writecost" in options.parts:
                plumbing.reset_aws(endpoint)
                costs = writecost.run(api, recorder, inspect, options.sizes)
                results["write_cost"] = write_cost_part(costs, options.sizes)
            if "fanout" in options.parts:
                plumbing.reset_aws(endpoint)
                rows = fanout.run(api, recorder, inspect, endpoint, options.fan_out_sizes, options.messages)
                results["fan_out"] = [row.as_dict() for row in rows]
    return results


def write_cost_part(costs: list[writecost.Cost], sizes: tuple[int, ...]) -> dict[str, Any]:
    return {
        "sizes": list(sizes),
        "operations": list(writecost.OPERATIONS),
        "results": [cost.as_dict() for cost in costs],
        "constant": writecost.constant_in_size(costs),
        "model": "computed from item sizes (bench/itemsize.py): moto does not report consumed capacity",
    }


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
    return {
        "label": label,
        "measure": earlier["cold_start"].get("measure"),
        "results": earlier["cold_start"]["results"],
    }


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    started = time.monotonic()
    stack.use_layer()
    # One embedded AWS for every in-process part: the functions' code binds its endpoint when first imported.
    with plumbing.embedded_aws() as endpoint:
        stack.point_process_at(endpoint)
        results = in_process_parts(options, endpoint)
        if "coldstart" in options.parts:
            results["cold_start"] = coldstart.run(lambda_python(), options.rounds, options.breakdown_runs, endpoint)
            results["cold_start_reference"] = reference_of(options.reference)
    results["run"] = run_info(started)
    return publish(results, options)


def publish(results: dict[str, Any], options: Options) -> int:
    """Print, then write results.json, the plots and the document."""
    results = {key: value for key, value in results.items() if value is not None}
    print(report.terminal(results))
    options.output.parent.mkdir(parents=True, exist_ok=True)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
