"""Tables of a bench run, as Markdown: printed by `make bench` and written into docs/BENCHMARKS.md.

Only the block between the markers of BENCHMARKS.md is replaced, so the analysis written
around it survives a new run.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench import costs
from bench.coldstart import REFERENCES

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
_DOC_HEAD = """# Benchmarks

`make bench` measures cold start, AWS calls per operation, write cost vs group size and the chat
fan-out, side by side in one run; the block below is rewritten by each run.

"""


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown (GitHub) table, which reads as well in a terminal as in docs/BENCHMARKS.md."""
    return str(tabulate(list(rows), headers=list(header), tablefmt="github", disable_numparse=True))


def _short(name: str) -> str:
    return name.removesuffix("Function")


def cold_start(part: dict[str, Any], reference: dict[str, Any] | None) -> str:
    before = {row["name"]: row for row in (reference or {}).get("results", [])}
    header = ["function", "median ms", "middle half ms", "ratio to baseline", f"≤ {part['target_ratio']}x"]
    header += ["CPU ratio", "ratio to the validated floor", "its top imports (ms, self time)"]
    if before:
        header.append("ratio before")
    rows = []
    for row in part["results"]:
        cells = [
            _short(row["name"]),
            f"{row['median_ms']:.0f}",
            f"{row['q1_ms']:.0f}-{row['q3_ms']:.0f}",
            f"{row['ratio']:.2f}x",
            "—" if row["name"] in REFERENCES else ("yes" if row["within_target"] else "**no**"),
            f"{row['cpu_ratio']:.2f}x" if "cpu_ratio" in row else "—",
            f"{row['floor_ratio']:.2f}x" if "floor_ratio" in row else "—",
            _top_imports(part.get("breakdown", {}).get(row["name"])),
        ]
        if before:
            old = before.get(row["name"])
            cells.append(f"{old['ratio']:.2f}x" if old else "—")
        rows.append(cells)
    intro = (
        f"Python {part['python']} ({part['interpreter']}), {part['rounds']} interleaved runs per target; "
        f"measure: {part['measure']}. The two floors are a REST function with Powertools' event handler, "
        "Logger, Tracer and Metrics and no code of ours (bench/floor), without and with the event handler's "
        "validation; a REST function's ratio to the validated floor is what it adds to it (PynamoDB, our layer "
        "and models, its request's other AWS calls). Like our functions, the floors import botocore without "
        "boto3, which the baseline pays for."
    )
    if reference:
        intro += f" *Before*: {reference.get('label', 'previous results.json')}."
        if reference.get("measure") != part["measure"]:
            intro += f" It measured something else ({reference.get('measure')}): its ratios are not comparable."
    return intro + "\n\n" + table(header, rows)


def _top_imports(breakdown: dict[str, Any] | None, count: int = 4) -> str:
    """A target's costliest packages by `-X importtime` self time, the interpreter's own start-up left out."""
    if not breakdown:
        return "—"
    costs = [(name, ms) for name, ms in breakdown["by_package_ms"].items() if not name.startswith("python ")]
    return ", ".join(f"{name.removeprefix('aws_lambda_')} {ms:.0f}" for name, ms in costs[:count])


def breakdown(part: dict[str, Any]) -> str:
    """Self time per package (ms) for each target, in the run with the median total."""
    targets = list(part["breakdown"])
    packages: list[str] = []
    for target in targets:
        for name, ms in part["breakdown"][target]["by_package_ms"].items():
            if ms >= 0.5 and name not in packages:
                packages.append(name)
    rows = [
        [name, *(f"{part['breakdown'][t]['by_package_ms'].get(name, 0):.1f}" for t in targets)] for name in packages
    ]
    rest = [
        sum(ms for name, ms in part["breakdown"][t]["by_package_ms"].items() if name not in packages) for t in targets
    ]
    rows.append(["others (under 0.5 ms each)", *(f"{ms:.1f}" for ms in rest)])
    rows.append(["**total import**", *(f"**{part['breakdown'][t]['total_ms']:.0f}**" for t in targets)])
    return table(["package (ms, `-X importtime` self time)", *map(_short, targets)], rows)


def our_imports(part: dict[str, Any]) -> str:
    """The slowest function's and the median function's costliest imports, side by side."""
    functions = sorted(
        (row for row in part["results"] if row["name"] not in REFERENCES), key=lambda row: row["median_ms"]
    )
    shown = list(dict.fromkeys([functions[-1]["name"], functions[len(functions) // 2]["name"]]))
    sections = []
    for name in shown:
        rows = [[e["importer"], e["module"], f"{e['ms']:.1f}"] for e in part["breakdown"][name]["our_imports"]]
        sections.append(
            f"Costliest imports made by our modules in {_short(name)} (cumulative ms; who imports a shared "
            "dependency first pays for it here, so read these with the package table above):\n\n"
            + table(["our module", "imports", "ms"], rows)
        )
    return "\n\n".join(sections)


def aws_calls(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            row["operation"],
            row["calls"],
            row["minimum"],
            row["wcu"],
            ", ".join(row["made"]),
            row["minimum_reasoning"],
            "; ".join(row["above_minimum"]) or "—",
        ]
        for row in rows
    ]
    return table(["operation", "calls", "min", "WCU", "calls made", "minimum because", "above the minimum"], body)


def aws_calls_short(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            row["operation"],
            row["calls"],
            row["minimum"],
            row["wcu"],
            "; ".join(x.split(":")[0] for x in row["above_minimum"]),
        ]
        for row in rows
    ]
    return table(["operation", "calls", "min", "WCU", "above the minimum"], body)


def write_cost(part: dict[str, Any]) -> str:
    sizes = part["sizes"]
    rows = []
    for operation in part["operations"]:
        by_size = {r["size"]: r for r in part["results"] if r["operation"] == operation}
        largest = by_size[sizes[-1]]["by_table"]
        rows.append(
            [
                operation,
                *(by_size[size]["wcu"] for size in sizes),
                "yes" if part["constant"][operation] else "**no**",
                ", ".join(f"{name} {units}" for name, units in largest.items()),
            ]
        )
    header = ["operation", *(f"WCU @ {size:,}" for size in sizes), "same at every size", "where (largest group)"]
    return table(header, rows)


def fan_out(rows: list[dict[str, Any]]) -> str:
    """Calls and read units per message beside the minimum, and the local latency, per group size."""
    body = [
        [
            f"{row['members']:,}",
            row["messages_per_batch"],
            f"{row['calls_per_message']:g} (min {row['minimum_calls_per_message']:g})",
            f"{row['read_units_per_message']:g} (min {row['minimum_read_units_per_message']:g})",
            ", ".join(f"+{n} {label}" for label, n in row["above_minimum"].items()) or "—",
            "—" if row["p50_ms"] is None else f"{row['p50_ms']:.0f} / {row['p99_ms']:.0f} ({row['samples']} sends)",
        ]
        for row in rows
    ]
    header = ["members", "messages per batch", "calls per message", "RCU per message", "above the minimum"]
    return table([*header, "local p50 / p99 ms"], body)


def fan_out_calls(rows: list[dict[str, Any]]) -> str:
    """The calls of one fan-out invocation, as counted, and those of the send that fed it."""
    body = [
        [
            f"{row['members']:,}",
            row["messages_per_batch"],
            ", ".join(f"{n} {c}" for c, n in row["calls"].items()),
            f"{', '.join(row['send_calls'])}: {row['send_write_units']} WCU, {row['send_read_units']:g} RCU",
        ]
        for row in rows
    ]
    return table(["members", "messages per batch", "calls of one fan-out invocation", "the send before it"], body)


def cost(fan_out_rows: list[dict[str, Any]]) -> list[str]:
    """The price list, then what a message and a monthly active user cost."""
    made = costs.tables(fan_out_rows)
    return [
        "#### List prices",
        table(*made["prices"]),
        "#### Per message, every member connected (µ$ = millionths of a dollar)",
        table(*made["per_message"]),
        "#### Per monthly active user",
        table(*made["per_mau"]),
    ]


def render(results: dict[str, Any], plots: dict[str, str]) -> str:
    """The whole generated block: one section per part, plots linked where they were drawn."""
    run = results["run"]
    sections = [
        f"Run of {run['finished_at']} on {run['cpus']} CPUs, commit {run['commit']}"
        f"{' (uncommitted changes)' if run['dirty'] else ''}, {run['seconds']:.0f} s in all.",
    ]
    if "cold_start" in results:
        part = results["cold_start"]
        sections += ["### 1. Cold start", cold_start(part, results.get("cold_start_reference"))]
        sections += [f"![cold start]({plots['cold_start']})"] if "cold_start" in plots else []
        sections += ["#### Where the import time goes", breakdown(part), our_imports(part)]
    if "aws_calls" in results:
        sections += ["### 2. AWS calls per operation", aws_calls(results["aws_calls"])]
    if "write_cost" in results:
        sections += ["### 3. Write cost vs group size", write_cost(results["write_cost"])]
        sections += [f"![write cost]({plots['write_cost']})"] if "write_cost" in plots else []
    if "fan_out" in results:
        rows = results["fan_out"]
        sections += ["### 4. Fan-out per chat message", fan_out(rows), fan_out_calls(rows)]
        sections += ["### 5. Cost", *cost(rows)]
    return "\n\n".join(sections)


def terminal(results: dict[str, Any]) -> str:
    """What `make bench` prints: the tables without the long reasoning columns."""
    parts = []
    if "cold_start" in results:
        parts += ["COLD START", cold_start(results["cold_start"], results.get("cold_start_reference"))]
    if "aws_calls" in results:
        parts += ["AWS CALLS PER OPERATION", aws_calls_short(results["aws_calls"])]
    if "write_cost" in results:
        parts += ["WRITE COST VS GROUP SIZE", write_cost(results["write_cost"])]
    if "fan_out" in results:
        parts += ["FAN-OUT PER CHAT MESSAGE", fan_out(results["fan_out"]), "COST", *cost(results["fan_out"])[1::2]]
    return "\n\n".join(parts)


def update_document(path: Path, block: str) -> None:
    """Replace the generated block of BENCHMARKS.md, keeping whatever was written around it."""
    text = path.read_text() if path.exists() else _DOC_HEAD + START + "\n" + END + "\n"
    if START not in text or END not in text:
        text = text.rstrip() + "\n\n" + START + "\n" + END + "\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{block}\n{END}{tail}")
