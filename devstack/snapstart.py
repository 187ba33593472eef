"""SnapStart's snapshot and restore, EMULATED with fork(): no Lambda here, so this is not SnapStart itself.

In Lambda, a published version's init runs once, then the before-snapshot hooks, then its memory is
snapshotted; each new execution environment is restored from a copy and runs the after-restore hooks
before its first invocation. The emulation: this process imports a function's handler (its init) and
runs the before-snapshot hooks as the runtime does; then each `fork()` is one restored environment,
which runs the after-restore hooks and reports what it sees. A fork copies memory as a restore does
(cached objects, open sockets; random's state too, which CPython reseeds at fork and this puts back).
What it does not reproduce (a jump of the clocks, a new network identity, Lambda's credentials) is
left to the hooks' documentation.

    python -m devstack.snapstart FUNCTION ENDPOINT [--restores 2] [--no-restore-hooks]

prints one JSON line per restored environment (`Restored` below); ENDPOINT is an AWS endpoint (the
embedded AWS's), which the function's init connects to before the snapshot.
"""

import argparse
import json
import os
import random
import sys
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import snapshot_restore_py

from devstack.aws import ACCOUNT_ID, REGION, STACK_NAME
from devstack.code import Code, configure_process
from devstack.lambda_runtime import load_handler, prepend_to_path
from devstack.template import functions, load_template, local_refs


@dataclass(frozen=True)
class Restored:
    """What one restored environment sees before its first invocation."""

    random_draws: list[float]
    """The next draws of `random` (the retry jitter's source): must differ between environments."""
    new_id: str
    """A uuid4 made now: must differ (it comes from os.urandom, never from the snapshot)."""
    pooled_connections: int
    """HTTP connections the DynamoDB client keeps from before the snapshot: must be none."""
    models_to_build: list[str]
    """Request and response models not built yet, which a first request would build: none with SnapStart."""
    pydantic_loaded: bool
    """Whether the snapshot holds pydantic: a function that serves no REST route never needs it."""


def run_hooks(registry: list[tuple[Any, tuple[Any, ...], dict[str, Any]]]) -> None:
    """Run registered hooks in order, as Lambda's runtime does; the registry is `snapshot_restore_py`'s."""
    for hook, args, kwargs in registry:
        hook(*args, **kwargs)


def snapshot(logical_id: str, endpoint_url: str) -> None:
    """Init (the function's environment, its handler imported with the layer first on sys.path), one AWS
    call that opens a connection to `endpoint_url`, then the before-snapshot hooks."""
    template = load_template()
    spec = functions(template)[logical_id]
    configure_process(
        [spec], local_refs(template, stack_name=STACK_NAME, region=REGION, account_id=ACCOUNT_ID), endpoint_url
    )
    prepend_to_path(Code().layer_dirs(template))
    load_handler(spec)
    from chatgroup.clients import dynamodb

    dynamodb().list_tables()
    run_hooks(snapshot_restore_py._before_snapshot_registry)


def restore(run_restore_hooks: bool) -> Restored:
    """In a forked child: the after-restore hooks (unless told not to), then what this environment sees."""
    if run_restore_hooks:
        run_hooks(snapshot_restore_py._after_restore_registry)
    from chatgroup.clients import dynamodb

    session: Any = dynamodb().client._endpoint.http_session
    pools = session._manager.pools
    keys = pools.keys()  # urllib3's container refuses plain iteration
    pooled = sum(connection is not None for key in keys for connection in pools[key].pool.queue)
    schemas = sys.modules.get("chatgroup.schemas")
    models = schemas.Schema.__subclasses__() if schemas is not None else []
    unbuilt = [model.__name__ for model in models if not model.__pydantic_complete__]
    return Restored([random.random() for _ in range(3)], uuid.uuid4().hex, pooled, unbuilt, "pydantic" in sys.modules)


def emulate(logical_id: str, endpoint_url: str, restores: int, run_restore_hooks: bool = True) -> list[Restored]:
    """Snapshot once, restore `restores` times (each a forked child); what each restored environment saw."""
    snapshot(logical_id, endpoint_url)
    snapshotted_random = random.getstate()
    seen = []
    for _ in range(restores):
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:
            # CPython reseeds `random` in a forked child (os.register_at_fork); a restored snapshot is not
            # reseeded, so the child takes back the state the snapshot holds.
            random.setstate(snapshotted_random)
            os.close(reader)
            try:
                with os.fdopen(writer, "w") as report:
                    report.write(json.dumps(asdict(restore(run_restore_hooks))))
            finally:
                os._exit(0)
        os.close(writer)
        with os.fdopen(reader) as report:
            reported = report.read()
        os.waitpid(child, 0)
        if not reported:
            raise RuntimeError("a restored environment failed before reporting; its traceback is above")
        seen.append(Restored(**json.loads(reported)))
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.snapstart", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="the function's logical id in template.yaml")
    parser.add_argument("endpoint", help="an AWS endpoint, e.g. the embedded AWS's (`make run` prints it)")
    parser.add_argument("--restores", type=int, default=2)
    parser.add_argument("--no-restore-hooks", action="store_true", help="restore without the after-restore hooks")
    arguments = parser.parse_args(argv)
    restores = emulate(arguments.function, arguments.endpoint, arguments.restores, not arguments.no_restore_hooks)
    for restored in restores:
        print(json.dumps(asdict(restored)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
