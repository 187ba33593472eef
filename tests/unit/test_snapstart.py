"""SnapStart's runtime hooks (chatgroup.snapstart), seen through an EMULATION of snapshot and restore.

No Lambda here: devstack/snapstart.py inits a function, runs the before-snapshot hooks, then forks
each "restored environment" (memory copied as a restore copies it) and runs the after-restore hooks.
"""

import json
import subprocess
import sys
from typing import Any

from devstack.template import ROOT


def restore_twice(function: str, endpoint: str, *flags: str) -> list[dict[str, Any]]:
    """Two environments restored from one emulated snapshot of `function`, as each saw itself."""
    done = subprocess.run(  # noqa: S603 - this interpreter, the repo's own module
        [sys.executable, "-m", "devstack.snapstart", function, endpoint, "--restores", "2", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_environments_restored_from_one_snapshot_draw_their_own_retry_jitter(moto_server: str) -> None:
    # Given one snapshot of SendMessage (whose seq retries and botocore's retries draw from `random`)
    # When two environments are restored from it
    first, second = restore_twice("SendMessageFunction", moto_server)

    # Then their random sequences differ, and so do the ids they make
    assert first["random_draws"] != second["random_draws"]
    assert first["new_id"] != second["new_id"]


def test_without_the_restore_hooks_restored_environments_would_share_one_random_sequence(moto_server: str) -> None:
    # Given the same snapshot, restored without the after-restore hooks
    first, second = restore_twice("SendMessageFunction", moto_server, "--no-restore-hooks")

    # Then both would draw the same jitter: what the hook exists to prevent (and the emulation shows it)
    assert first["random_draws"] == second["random_draws"]
    assert first["pooled_connections"] == second["pooled_connections"] == 1


def test_a_restored_environment_keeps_no_connection_opened_before_the_snapshot(moto_server: str) -> None:
    # Given a snapshot taken after the function's DynamoDB client opened a connection
    # When an environment is restored from it
    restored = restore_twice("FanOutFunction", moto_server)

    # Then no pooled connection survives: its first call opens a fresh one
    assert [environment["pooled_connections"] for environment in restored] == [0, 0]


def test_the_snapshot_holds_every_request_and_response_model_built(moto_server: str) -> None:
    # Given a snapshot of a function that, without SnapStart, builds only its own models on first use
    # When an environment is restored from it
    restored = restore_twice("GetChatgroupFunction", moto_server)

    # Then no model is left for its first request to build
    assert [environment["models_to_build"] for environment in restored] == [[], []]
    assert [environment["pydantic_loaded"] for environment in restored] == [True, True]


def test_a_function_without_a_rest_route_keeps_pydantic_out_of_its_snapshot(moto_server: str) -> None:
    # Given a snapshot of a stream function, which validates no request
    # When an environment is restored from it
    restored = restore_twice("FanOutFunction", moto_server)

    # Then pydantic was never loaded, not even to build models for the snapshot
    assert [environment["pydantic_loaded"] for environment in restored] == [False, False]
