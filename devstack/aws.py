"""The embedded AWS: moto in server mode, holding the tables and user pools of template.yaml.

Every embedded AWS (`make run`, the tests, the bench) is started here, so that each gets the
fixes of `devstack.faithful_aws`: one request at a time, transactions without table copies,
ClientRequestToken.
"""

import functools
import json
import logging
import os
import secrets
import socket
import string
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from devstack import faithful_aws
from devstack.template import resolve, resources_of_type, table_definitions

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
"""The account moto puts every resource in."""
STACK_NAME = "chatgroup-local"
DEMO_USERS = ("alice", "bob", "carol", "dave")
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
"""moto accepts any credentials; fixed ones keep a developer's real keys out of every local request."""
_SHADOWING = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_SHELL_SAFE_SYMBOLS = "-_.+=@%"
SHUTDOWN_POLL_SECONDS = 0.05
"""How often a serving thread checks for shutdown: how long Ctrl-C waits for each server."""


class EmbeddedAws:
    """moto's server in a thread of this process; the port is bound at construction so a busy one fails at once.

    The socket is bound here, not by werkzeug, which would print and `sys.exit` on a busy port.
    """

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        faithful_aws.install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = _serving_state(DomainDispatcherApplication(create_backend_app))
        with socket.create_server((host, port)) as listener:
            self._server = make_server(
                host, port, app, threaded=True, request_handler=MotoRequestHandler, fd=listener.fileno()
            )
        self.endpoint_url = f"http://{host}:{self._server.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="embedded-aws",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


STATE_PATH = "/_devstack/state"
"""`GET STATE_PATH?group=<id>&group=...`: `faithful_aws.state` as JSON, for tests that check what a request changed."""


def _serving_state(app: "WSGIApplication") -> "WSGIApplication":
    def serve(environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        if environ.get("PATH_INFO") != STATE_PATH:
            return app(environ, start_response)
        groups = parse_qs(environ.get("QUERY_STRING", "")).get("group", [])
        body = json.dumps(faithful_aws.state(groups)).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return serve


def use_embedded_aws(endpoint_url: str) -> None:
    """Point every AWS SDK of this process at the embedded AWS, dropping settings that would outrank it."""
    for name in [*_SHADOWING, *(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_"))]:
        os.environ.pop(name, None)
    os.environ.update(
        FAKE_CREDENTIALS | {"AWS_ENDPOINT_URL": endpoint_url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    )


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 2})


@functools.cache
def dynamodb(endpoint_url: str) -> "DynamoDBClient":
    """One client per endpoint, shared (boto3 clients are thread-safe): making one costs ~40 ms, a reset ~50."""
    return _session().client("dynamodb", endpoint_url=endpoint_url, config=_CONFIG)


def cognito(endpoint_url: str) -> "CognitoIdentityProviderClient":
    return _session().client("cognito-idp", endpoint_url=endpoint_url, config=_CONFIG)


def create_tables(endpoint_url: str, template: Mapping[str, Any]) -> None:
    client = dynamodb(endpoint_url)
    for definition in table_definitions(template).values():
        client.create_table(**definition)


def create_queues(endpoint_url: str, template: Mapping[str, Any], refs: dict[str, str]) -> dict[str, str]:
    """Create every AWS::SQS::Queue of the template (named by logical id); their URLs by logical id."""
    sqs = _session().client("sqs", endpoint_url=endpoint_url, config=_CONFIG)
    urls = {}
    for logical_id in resources_of_type(template, "AWS::SQS::Queue"):
        urls[logical_id] = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
        refs[f"{logical_id}.Arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{logical_id}"
    return urls


@dataclass
class UserPool:
    """A user pool created from the template, with the ids of its app clients by logical id."""

    id: str
    arn: str
    password_policy: dict[str, Any]
    client_ids: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.id}"


def create_user_pools(endpoint_url: str, template: Mapping[str, Any], refs: dict[str, str]) -> dict[str, UserPool]:
    """Create every AWS::Cognito::UserPool, then every UserPoolClient; `refs` learns their ids and ARNs."""
    client = cognito(endpoint_url)
    pools = {
        logical_id: _create_pool(client, logical_id, resolve(resource["Properties"], refs), refs)
        for logical_id, resource in resources_of_type(template, "AWS::Cognito::UserPool").items()
    }
    for logical_id, resource in resources_of_type(template, "AWS::Cognito::UserPoolClient").items():
        properties = resolve(resource["Properties"], refs)
        arguments = _api_arguments(client, "CreateUserPoolClient", properties)
        refs[logical_id] = client.create_user_pool_client(**arguments)["UserPoolClient"]["ClientId"]
        owner = next(pool for pool in pools.values() if pool.id == properties["UserPoolId"])
        owner.client_ids[logical_id] = refs[logical_id]
    return pools


def _create_pool(
    client: "CognitoIdentityProviderClient", logical_id: str, properties: Mapping[str, Any], refs: dict[str, str]
) -> UserPool:
    arguments = _api_arguments(client, "CreateUserPool", properties, renamed={"UserPoolName": "PoolName"})
    created = client.create_user_pool(**arguments)["UserPool"]
    refs |= {logical_id: created["Id"], f"{logical_id}.Arn": created["Arn"]}
    policy = properties.get("Policies", {}).get("PasswordPolicy", {})
    return UserPool(id=created["Id"], arn=created["Arn"], password_policy=policy)


def _api_arguments(
    client: "CognitoIdentityProviderClient",
    operation: str,
    properties: Mapping[str, Any],
    renamed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """CloudFormation properties as API arguments; those without an API parameter (e.g. EnabledMfas) are left out."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    accepted = shape.members if shape is not None else {}
    arguments = {(renamed or {}).get(name, name): value for name, value in properties.items()}
    return {name: value for name, value in arguments.items() if name in accepted}


def password_for(policy: Mapping[str, Any]) -> str:
    """A random password the pool's PasswordPolicy accepts, free of characters a shell would interpret."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
    if policy.get("RequireSymbols"):
        classes.append(_SHELL_SAFE_SYMBOLS)
    length = max(int(policy.get("MinimumLength", 8)), 16)
    alphabet = "".join(classes)
    characters = [secrets.choice(kind) for kind in classes]
    characters += [secrets.choice(alphabet) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def create_users(endpoint_url: str, pool: UserPool, names: Iterable[str], password: str) -> dict[str, str]:
    """Confirmed users of the embedded Cognito, ready for InitiateAuth like any signed-up user."""
    return add_users(cognito(endpoint_url), pool.id, names, password)


def add_users(
    client: "CognitoIdentityProviderClient", pool_id: str, names: Iterable[str], password: str
) -> dict[str, str]:
    """Confirmed users with a permanent password in any pool the client reaches, embedded or deployed."""
    users = {}
    for name in names:
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=name,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{name}@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        client.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password, Permanent=True)
        users[name] = password
    return users
