"""SnapStart's runtime hooks: what one snapshot may give every environment, and what each must redo after restore.

With SnapStart on (template.yaml's SnapStart parameter), Lambda runs a published version's init once,
runs the before-snapshot hooks, snapshots the memory, and starts every new execution environment of
that version from a copy of it. Whatever init left in memory is then shared by all of them.

Before the snapshot, what is safe to share and would otherwise be paid by a first request: the
DynamoDB client (its service model and endpoint rules loaded; no connection is opened) and, in a
REST function, every request and response model built (they are deferred until first use
otherwise). Imports are done by the handler's module, which Lambda imports first.

After each restore, what must differ per environment: `random` is reseeded (its state came from the
snapshot, so every restored environment would draw the same retry jitter, in botocore's retries and in
our transaction and seq retries: the synchronized retries that jitter exists to avoid), and the pooled
HTTP connections are closed (a socket from snapshot time points at a peer that has long forgotten it).
Nothing else unique is cached at init: ids (uuid4) and botocore's invocation ids come from os.urandom
at each call, and Lambda gives a restored environment its own credentials through the container
credential provider, which botocore refreshes.

Lambda's Python runtime ships `snapshot_restore_py`; the layer pins it too, so these hooks also load
outside Lambda (where nothing ever runs them).
"""

import random
import sys

from snapshot_restore_py import register_after_restore, register_before_snapshot


@register_before_snapshot
def prepare_snapshot() -> None:
    """Build, once per published version, what would otherwise be built by each environment's first request."""
    from chatgroup.clients import dynamodb_client

    dynamodb_client()
    # Only a REST function has loaded the schemas: the others keep pydantic out of their snapshot too.
    schemas = sys.modules.get("chatgroup.schemas")
    if schemas is not None:
        schemas.build_models()


@register_after_restore
def make_environment_unique() -> None:
    """Give this restored environment its own random sequence and fresh connections."""
    from chatgroup.clients import drop_connections

    random.seed()
    drop_connections()
