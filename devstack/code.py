"""The functions' code, from the sources or from a `sam build`, loaded into this process with its environment."""

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devstack.aws import ACCOUNT_ID, REGION, use_embedded_aws
from devstack.build import foreign_binaries, host_architecture
from devstack.lambda_runtime import LocalFunction, load_handler, prepend_to_path, shared_environment
from devstack.template import FunctionSpec, function_property, layer_sources

LOCAL_DEFAULTS = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
"""No X-Ray daemon runs here, and metrics would print an EMF document per request; set either to "false" to keep it."""


class CodeUnavailable(Exception):
    """The code to serve is missing or cannot run on this machine; the message says what to do."""


@dataclass(frozen=True)
class Code:
    """Where functions and layers are read from: the sources (`built_dir` None) or a `sam build` output."""

    built_dir: Path | None = None

    def function_dir(self, spec: FunctionSpec) -> Path:
        return spec.code_uri if self.built_dir is None else self.built_dir / spec.logical_id

    def layer_dirs(self, template: Mapping[str, Any]) -> list[Path]:
        """What Lambda mounts at /opt: a built layer's `python/` folder, or the layer's sources."""
        sources = layer_sources(template)
        if self.built_dir is None:
            return list(sources.values())
        return [self.built_dir / logical_id / "python" for logical_id in sources]

    def describe(self) -> str:
        return "sources" if self.built_dir is None else f"the build in {self.built_dir}"

    def check(self, template: Mapping[str, Any], specs: Iterable[FunctionSpec]) -> None:
        """Refuse, in one sentence, a build that is missing or that this machine cannot import."""
        if self.built_dir is None:
            return
        folders = [*self.layer_dirs(template), *(self.function_dir(spec) for spec in specs)]
        missing = [folder for folder in folders if not folder.is_dir()]
        if missing:
            raise CodeUnavailable(f"{missing[0]} does not exist: build first with `make build`")
        foreign = foreign_binaries(folders)
        if foreign:
            raise CodeUnavailable(
                f"{self.built_dir} holds compiled modules this {host_architecture()} machine cannot load "
                f"(e.g. {foreign[0].name}), as template.yaml builds for another architecture: "
                "build for this machine with `make build-host` and serve that with "
                "`make run BUILT=1 BUILD_DIR=.aws-sam/build-host`"
            )


def configure_process(specs: Iterable[FunctionSpec], refs: Mapping[str, str], endpoint_url: str) -> None:
    """Give this process the functions' environment; it must precede any import of their code,
    because the layer reads table names when its models are imported."""
    use_embedded_aws(endpoint_url)
    os.environ.update(shared_environment(specs, refs))
    for name, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)


def load_functions(template: Mapping[str, Any], specs: Iterable[FunctionSpec], code: Code) -> dict[str, LocalFunction]:
    """Import every handler with the layers first on sys.path, as Lambda would at a cold start."""
    prepend_to_path(code.layer_dirs(template))
    functions = {}
    for spec in specs:
        located = replace(spec, code_uri=code.function_dir(spec))
        functions[spec.logical_id] = LocalFunction(
            spec=located,
            handler=load_handler(located),
            timeout_seconds=int(function_property(template, spec.logical_id, "Timeout")),
            memory_mb=int(function_property(template, spec.logical_id, "MemorySize")),
            arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.logical_id}",
        )
    return functions


def modules_not_from_layers(layer_dirs: Iterable[Path]) -> list[str]:
    """Packages a layer carries that were imported from elsewhere, because this process had loaded them first."""
    roots = [directory.resolve() for directory in layer_dirs]
    carried = {entry.name.removesuffix(".py") for root in roots for entry in root.iterdir() if _is_package(entry)}
    return sorted(
        name
        for name in carried
        if (module := sys.modules.get(name)) is not None
        and not any(Path(getattr(module, "__file__", None) or "/").resolve().is_relative_to(root) for root in roots)
    )


def _is_package(entry: Path) -> bool:
    return (entry.is_dir() and not entry.name.endswith((".dist-info", ".data"))) or entry.suffix == ".py"
