"""Cold-start proposals, each measured on a scratch copy of the layer and functions under /tmp.

Each variant copies layers/shared and functions/ to a temporary folder, rewrites a few lines
there (never in the repo) and is timed like the real functions, interleaved with an unchanged
copy (the control) and the baseline. A variant whose anchor text is no longer in the code is
reported as not applicable rather than guessed at, so the list stays honest as the code moves.
"""

import ast
import shutil
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.coldstart import (
    BASELINE,
    Target,
    baseline_target,
    child_script,
    function_targets,
    lambda_environment,
    sample,
)
from bench.lambda_env import layer_without_pyc
from bench.stack import LAYER, ROOT
from devstack.template import functions, load_template

Transform = Callable[[str], str | None]
CONTROL = "current code"
DEFAULT_FUNCTIONS = ("GetChatgroupFunction", "PutChatgroupFunction", "CreateChatgroupFunction")


def replace(old: str, new: str) -> Transform:
    """Replace every `old` with `new`; not applicable when `old` is gone."""
    return lambda text: text.replace(old, new) if old in text else None


_NO_TRACER = '''

class _NoTracer:
    """X-Ray SDK off: the decorators return what they wrap (Lambda's own trace segments remain)."""

    def capture_method(self, method=None, **_options):
        return method if method is not None else (lambda inner: inner)

    capture_lambda_handler = capture_method

    def __getattr__(self, _name):
        return lambda *_args, **_kwargs: None


tracer = _NoTracer()
'''


def _deferred_models(text: str) -> str | None:
    """Every pydantic model of schemas.py built on first use instead of at import."""
    if "(BaseModel):" not in text or "\nclass " not in text:
        return None
    base = "\n\nclass _Deferred(BaseModel):\n    model_config = ConfigDict(defer_build=True)\n\n"
    head, tail = text.split("\nclass ", 1)
    text = head + base + "\nclass " + tail.replace("(BaseModel):", "(_Deferred):")
    return "from pydantic import ConfigDict\n" + text


@dataclass(frozen=True)
class Variant:
    name: str
    proposal: str
    edits: dict[str, Transform] = field(default_factory=dict)
    layer_without_pyc: bool = False
    domain_only: bool = False


OBSERVABILITY = "layers/shared/chatgroup/observability.py"
QUEUES = "layers/shared/chatgroup/queues.py"
SCHEMAS = "layers/shared/chatgroup/schemas.py"
_TRACER_BOTOCORE = replace("tracer = Tracer()", 'tracer = Tracer(patch_modules=("botocore",))')
_NO_XRAY = replace("\ntracer = Tracer()\n", _NO_TRACER)
_SQS_BOTOCORE = replace("import boto3\n", "import botocore.session\n")
_SQS_CLIENT = replace("boto3.client(", "botocore.session.get_session().create_client(")


def _sqs_from_botocore(text: str) -> str | None:
    """queues.py without boto3: the same client, from botocore's default session."""
    step = _SQS_BOTOCORE(text)
    return _SQS_CLIENT(step) if step is not None else None


VARIANTS = (
    Variant(CONTROL, "the layer and functions as they are (an unchanged scratch copy)"),
    Variant(
        "Tracer patches botocore only",
        "Tracer(patch_modules=('botocore',)): X-Ray's patch_all also patches pynamodb, httplib, sqlite3 and "
        "tries a dozen libraries Lambda does not have; botocore carries every AWS call",
        {OBSERVABILITY: _TRACER_BOTOCORE},
    ),
    Variant(
        "no X-Ray SDK",
        "drop Powertools' Tracer (and with it aws_xray_sdk); `Tracing: Active` still gives Lambda's own "
        "segments, without per-call subsegments",
        {OBSERVABILITY: _NO_XRAY},
    ),
    Variant(
        "SQS client from botocore",
        "queues.py creates its client from a botocore session: boto3 (and s3transfer, which boto3 imports) "
        "is never loaded, since PynamoDB already brings botocore",
        {QUEUES: _sqs_from_botocore},
    ),
    Variant(
        "pydantic defer_build",
        "model_config defer_build=True on the request/response models: schemas are built on first use",
        {SCHEMAS: _deferred_models},
    ),
    Variant(
        "combined: no X-Ray + botocore SQS + defer_build",
        "the three independent changes above together",
        {
            OBSERVABILITY: _NO_XRAY,
            QUEUES: _sqs_from_botocore,
            SCHEMAS: _deferred_models,
        },
    ),
    Variant(
        "domain only (no HTTP edge)",
        "import only the layer's domain modules, not chatgroup.api or the function: what Powertools' REST "
        "resolver, its OpenAPI validation and route registration cost on top (the most a lighter router "
        "could save)",
        domain_only=True,
    ),
    Variant(
        "layer without .pyc (as sam build ships it)",
        "sam build unpacks the layer's wheels without compiling them, and /opt is read-only, so every cold "
        "start compiles the whole layer; the negative saving is that cost, which compileall at build time removes",
        layer_without_pyc=True,
    ),
)


@contextmanager
def scratch_root() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="chatgroup-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scratch_copy(root: Path, variant: Variant) -> Path | None:
    """The repo's layer and functions copied under `root` with the variant's edits; None if one does not apply."""
    copy = root / variant.name.replace(" ", "_").replace(":", "").replace("/", "_")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(LAYER, copy / LAYER.relative_to(ROOT), ignore=ignore)
    shutil.copytree(ROOT / "functions", copy / "functions", ignore=ignore)
    for relative, transform in variant.edits.items():
        path = copy / relative
        changed = transform(path.read_text()) if path.exists() else None
        if changed is None:
            return None
        path.write_text(changed)
    return copy


def _domain_target(name: str, layer: Path, app: Path) -> Target:
    """The layer modules a function imports, but not the HTTP edge (chatgroup.api) nor the function itself."""
    modules = sorted(
        node.module
        for node in ast.walk(ast.parse(app.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("chatgroup.")
        and node.module != "chatgroup.api"
    )
    imports = "".join(f"importlib.import_module({module!r})\n" for module in modules)
    return Target(name, child_script([str(layer)], imports), lambda_environment(name, layer))


def variant_targets(python: Path, root: Path, variant: Variant, only: tuple[str, ...]) -> list[Target] | None:
    """The variant's cold-start targets for the functions `only`, named `variant|function`; None if not applicable."""
    copy = scratch_copy(root, variant)
    if copy is None:
        return None
    layer = copy / LAYER.relative_to(ROOT)
    if variant.domain_only:
        specs = functions(load_template())
        return [
            _domain_target(f"{variant.name}|{name}", layer, copy / specs[name].code_uri.relative_to(ROOT) / "app.py")
            for name in only
        ]
    if not variant.layer_without_pyc:
        targets = function_targets(layer=layer, code_root=copy, only=only)
    else:
        dependencies = (layer_without_pyc(python),)
        targets = [
            Target(t.name, t.script, t.env | {"PYTHONDONTWRITEBYTECODE": "1"})
            for t in function_targets(layer=layer, code_root=copy, only=only, extra_paths=dependencies)
        ]
    return [Target(f"{variant.name}|{target.name}", target.script, target.env) for target in targets]


def run(python: Path, rounds: int, only: tuple[str, ...] = DEFAULT_FUNCTIONS) -> dict[str, Any]:
    """Every applicable variant beside the control and the baseline, interleaved in one run."""
    only = tuple(name for name in only if name in functions(load_template()))
    with scratch_root() as root:
        targets = [baseline_target()]
        applicable: dict[str, Variant] = {}
        skipped = []
        for variant in VARIANTS:
            found = variant_targets(python, root, variant, only)
            if found is None:
                skipped.append(variant.name)
                continue
            applicable[variant.name] = variant
            targets.extend(found)
        samples = sample(python, targets, rounds)
    return _report(samples, applicable, skipped, only, rounds)


def paired_saving(control: list[float], variant: list[float]) -> float:
    """Median over rounds of control minus variant in the same round.

    Targets of one round run seconds apart, so pairing them cancels the drift of a shared
    machine (other work, CPU frequency) that separate medians would carry into the difference.
    """
    return statistics.median(c - v for c, v in zip(control, variant, strict=True))


def _report(
    samples: dict[str, list[float]],
    variants: dict[str, Variant],
    skipped: list[str],
    only: tuple[str, ...],
    rounds: int,
) -> dict[str, Any]:
    floor = statistics.median(samples[BASELINE])
    medians = {name: statistics.median(values) for name, values in samples.items()}
    rows = []
    for variant in variants.values():
        per_function = {}
        for function in only:
            median = medians[f"{variant.name}|{function}"]
            per_function[function] = {
                "median_ms": round(median, 1),
                "ratio": round(median / floor, 3),
                "saving_ms": round(
                    paired_saving(samples[f"{CONTROL}|{function}"], samples[f"{variant.name}|{function}"]), 1
                ),
            }
        rows.append({"variant": variant.name, "proposal": variant.proposal, "functions": per_function})
    return {
        "baseline_ms": round(floor, 1),
        "rounds": rounds,
        "functions": list(only),
        "variants": rows,
        "not_applicable": skipped,
    }
