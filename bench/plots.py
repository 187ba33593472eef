"""The two pictures of docs/BENCHMARKS.md: write cost vs group size, and cold start per function vs baseline."""

from pathlib import Path
from typing import Any

from bench.coldstart import REFERENCES


def _pyplot() -> Any:
    """matplotlib (bench/requirements.txt), drawing to files only; imported here so the rest runs without it."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_cost(results: dict[str, Any], path: Path) -> None:
    """WCU per operation against group size on a log axis: flat lines are what scaling means here."""
    plt = _pyplot()
    sizes = results["sizes"]
    figure, axes = plt.subplots(figsize=(7, 4))
    styles = [("o", "-", 8), ("s", "--", -14), ("^", ":", 20)]
    for operation, (marker, line, offset) in zip(results["operations"], styles, strict=False):
        wcu = [
            next(r["wcu"] for r in results["results"] if r["operation"] == operation and r["size"] == size)
            for size in sizes
        ]
        axes.plot(sizes, wcu, marker=marker, linestyle=line, markersize=7, label=operation)
        for size, value in zip(sizes, wcu, strict=True):
            axes.annotate(
                f"{operation} {value}",
                (size, value),
                textcoords="offset points",
                xytext=(0, offset),
                ha="center",
                fontsize=7,
            )
    axes.set_xscale("log")
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.set_ylim(0, max(r["wcu"] for r in results["results"]) * 1.4 + 1)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel("members in the group")
    axes.set_ylabel("write capacity units per request")
    axes.set_title("DynamoDB write cost of one request vs group size")
    axes.grid(True, alpha=0.3)
    axes.legend()
    _save(plt, figure, path)


def cold_start(results: dict[str, Any], path: Path) -> None:
    """Median time to first request answered per function, beside the baseline, the floors and the target line."""
    plt = _pyplot()
    rows = sorted(results["results"], key=lambda row: row["median_ms"])
    names = [row["name"].removesuffix("Function") for row in rows]
    medians = [row["median_ms"] for row in rows]
    errors = [[row["median_ms"] - row["q1_ms"] for row in rows], [row["q3_ms"] - row["median_ms"] for row in rows]]
    baseline = next(row["median_ms"] for row in rows if row["name"] == "baseline")
    limit = baseline * results["target_ratio"]
    colors = [
        "#888888" if row["name"] in REFERENCES else ("#2a9d8f" if row["within_target"] else "#e76f51") for row in rows
    ]
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    axes.barh(names, medians, xerr=errors, color=colors, capsize=3)
    for index, row in enumerate(rows):
        axes.annotate(
            f"{row['ratio']:.2f}x",
            (row["q3_ms"], index),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axes.axvline(
        limit, color="#e76f51", linestyle="--", linewidth=1, label=f"target: {results['target_ratio']}x baseline"
    )
    axes.set_xlabel("ms from spawn to first request answered (median, bars: middle half of runs; grey: references)")
    axes.set_title(f"Cold start per function vs baseline (boto3 + one client), {results['rounds']} interleaved runs")
    axes.set_xlim(0, max(row["q3_ms"] for row in rows) * 1.15)
    axes.legend(loc="lower right")
    _save(plt, figure, path)


def _save(plt: Any, figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
