"""A typed client that openapi-python-client generates from docs/openapi.json walks a group's whole life.

The client is generated at test time into a temporary folder (about a second of the generator's CPU), so
it is always the client of the document as it is now and nothing generated lands in the tree. A document
that told clients anything the service does not accept or answer would fail here: the generated models
serialize requests by the document and parse answers by it.
"""

import importlib
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from devstack.openapi import DOCUMENT
from devstack.stackfile import StackInfo
from tests.e2e.conftest import User

PACKAGE = "chatgroup_client"
MODULES = (
    "client",
    "models",
    "api.chatgroup.create_chatgroup",
    "api.chatgroup.get_chatgroup",
    "api.chatgroup.put_chatgroup",
    "api.chatgroup.delete_chatgroup",
    "api.inbox.create_inbox_message",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    """The generated package's modules by name, importable only while this module's tests run."""
    folder = tmp_path_factory.mktemp("generated-client")
    config = folder / "config.yaml"
    config.write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n")
    generate = ["generate", "--path", str(DOCUMENT), "--meta", "none", "--config", str(config)]
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "openapi_python_client", *generate, "--output-path", str(folder / PACKAGE)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(folder))
    try:
        yield {name: importlib.import_module(f"{PACKAGE}.{name}") for name in MODULES}
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class TypedClient:
    """One user's calls through the generated package: typed requests in, typed answers out."""

    def __init__(self, generated: dict[str, ModuleType], stack: StackInfo, user: User) -> None:
        self.api = generated
        self.models = generated["models"]
        self.client = generated["client"].AuthenticatedClient(base_url=stack.api_url, token=user.token)

    def call(self, operation: str, **arguments: Any) -> Any:
        return self.api[operation].sync_detailed(client=self.client, **arguments)


def test_a_generated_typed_client_creates_applies_accepts_reads_leaves_and_dismisses(
    generated: dict[str, ModuleType], stack: StackInfo, alice: User, bob: User
) -> None:
    owner, applicant = TypedClient(generated, stack, alice), TypedClient(generated, stack, bob)
    models = owner.models

    # Given a group alice creates with the seed's forms: members joined by ';' and capacity as a string
    created = owner.call(
        "api.chatgroup.create_chatgroup",
        body=models.CreateChatgroupRequest(name="Typed crew", capacity="4", memberlist="carol"),
    )
    assert created.status_code == 200
    assert isinstance(created.parsed, models.CreateChatgroupResponse)
    chatgroup_id = created.parsed.chatgroup_id

    # When bob applies and alice accepts
    applied = applicant.call(
        "api.inbox.create_inbox_message",
        body=models.ApplicationMessageRequest(type_="application", chatgroup_id=chatgroup_id, message="Hi"),
    )
    assert isinstance(applied.parsed, models.InboxCreateResponse), applied.content
    accepted = owner.call(
        "api.chatgroup.put_chatgroup",
        body=models.ApplicationDecision(
            type_="application",
            choice=models.ApplicationDecisionChoice.ACCEPT,
            chatgroup_id=chatgroup_id,
            who_apply="bob",
            inbox_message_id=applied.parsed.inbox_message_id,
        ),
    )

    # Then he joined (the answer is the group's queue), as a read of the group tells
    assert isinstance(accepted.parsed, models.SqsResponse), accepted.content
    assert accepted.parsed.sqs == created.parsed.sqs
    read = applicant.call("api.chatgroup.get_chatgroup", chatgroup_id=chatgroup_id)
    assert isinstance(read.parsed, models.ChatgroupView), read.content
    assert (read.parsed.member_list, read.parsed.capacity) == ("alice;carol;bob", 4)

    # When bob leaves, then the group has its first two members again
    left = applicant.call(
        "api.chatgroup.put_chatgroup",
        body=models.LeaveRequest(type_="leave", chatgroup_id=chatgroup_id, who_leave="bob"),
    )
    assert isinstance(left.parsed, models.ResultResponse), left.content
    assert owner.call("api.chatgroup.get_chatgroup", chatgroup_id=chatgroup_id).parsed.member_list == "alice;carol"

    # When alice dismisses it, then it is gone: the typed client reads the 404 as the service's refusal
    dismissed = owner.call(
        "api.chatgroup.delete_chatgroup",
        body=models.DismissRequest(type_="dismiss", chatgroup_id=chatgroup_id, creator_id="alice"),
    )
    assert isinstance(dismissed.parsed, models.ResultResponse), dismissed.content
    gone = owner.call("api.chatgroup.get_chatgroup", chatgroup_id=chatgroup_id)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, models.ErrorResponse)
    assert "does not exist" in gone.parsed.reason


def test_the_generated_client_reads_api_gateways_own_refusal(
    generated: dict[str, ModuleType], stack: StackInfo
) -> None:
    # Given a client whose token API Gateway's authorizer does not accept
    models = generated["models"]
    client = generated["client"].AuthenticatedClient(base_url=stack.api_url, token="not-a-token")

    # When it reads a group, then the 401 parses as the gateway's body, not the service's
    answer = generated["api.chatgroup.get_chatgroup"].sync_detailed(client=client, chatgroup_id="0" * 32)
    assert answer.status_code == 401
    assert isinstance(answer.parsed, models.GatewayError)
    assert answer.parsed.message == "Unauthorized"
