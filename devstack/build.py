"""Build the stack with `sam build` for this machine's architecture, and tell whether a build can run here.

template.yaml builds for arm64 (Graviton). On another architecture `sam build` still succeeds,
fetching arm64 wheels (pydantic_core, wrapt) that this machine cannot import. `sam build` has
no option to change the architecture, so the host build is of a copy of the template with only
its architectures switched; it goes to its own folder and is never deployed.

    python -m devstack.build BUILD_DIR [--architecture arm64|x86_64]
"""

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from devstack.template import ROOT, load_template, resources_of_type

_LAMBDA_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    """This machine's architecture, named as Lambda names it."""
    return _LAMBDA_ARCHITECTURES[platform.machine().lower()]


def for_architecture(template: Mapping[str, Any], architecture: str) -> dict[str, Any]:
    """A copy of the template whose functions and layers are built for `architecture`, and nothing else changed."""
    built = copy.deepcopy(dict(template))
    function_settings = [built.get("Globals", {}).get("Function", {})]
    function_settings += [
        function["Properties"] for function in resources_of_type(built, "AWS::Serverless::Function").values()
    ]
    for settings in function_settings:
        if "Architectures" in settings:
            settings["Architectures"] = [architecture]
    for layer in resources_of_type(built, "AWS::Serverless::LayerVersion").values():
        if "CompatibleArchitectures" in layer["Properties"]:
            layer["Properties"]["CompatibleArchitectures"] = [architecture]
        if "BuildArchitecture" in layer.get("Metadata", {}):
            layer["Metadata"]["BuildArchitecture"] = architecture
    return built


def sam_build(build_dir: Path, architecture: str) -> None:
    """`sam build` of the stack for `architecture` into `build_dir`, with the sources of this repository.

    PATH starts with this interpreter's folder: sam looks for the runtime's `python3.13` there.
    """
    sam = Path(sys.executable).with_name("sam")
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env |= {"SAM_CLI_TELEMETRY": "0", "LAMBDA_ARCHITECTURE": architecture}
    with tempfile.TemporaryDirectory(prefix="sam-build-") as scratch:
        template_file = Path(scratch) / "template.json"
        template_file.write_text(json.dumps(for_architecture(load_template(), architecture)))
        command = [str(sam), "build", "--template-file", str(template_file), "--base-dir", str(ROOT)]
        command += ["--build-dir", str(build_dir.resolve()), "--no-cached", "--parallel"]
        result = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"sam build failed:\n{result.stdout}{result.stderr}")


def foreign_binaries(directories: Iterable[Path]) -> list[Path]:
    """Compiled modules this interpreter cannot load: built for another CPU or operating system."""
    own = _binary_kind(Path(sys.executable).resolve())
    return [path for directory in directories for path in sorted(directory.rglob("*.so")) if _binary_kind(path) != own]


def _binary_kind(path: Path) -> bytes:
    """The file format, and for ELF the machine (e_machine, bytes 18-19 of the header)."""
    with path.open("rb") as binary:
        header = binary.read(20)
    return header[:4] + header[18:20] if header.startswith(b"\x7fELF") else header[:4]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", type=Path)
    parser.add_argument(
        "--architecture", choices=sorted(set(_LAMBDA_ARCHITECTURES.values())), default=host_architecture()
    )
    arguments = parser.parse_args(argv)
    try:
        sam_build(arguments.build_dir, arguments.architecture)
    except RuntimeError as failure:
        print(failure, file=sys.stderr)
        return 1
    print(f"Built for {arguments.architecture} into {arguments.build_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
