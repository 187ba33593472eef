"""The functions' IAM policies, as SAM deploys them, checked against the AWS calls the functions made.

The one place that decides what IAM would say, used by the whole-suite check (test_observed_calls.py)
and pinned by its own tests (test_policy.py):

- `translated_template` turns template.yaml into the CloudFormation SAM deploys (samtranslator, as
  `sam deploy` does): each function's role, its inline statements (policy templates expanded) and
  the managed policies SAM attaches (logs, X-Ray, event sources).
- `LocalArns` resolves the intrinsic functions of those statements to the ARNs of the local stack
  and the tests' tables: tables and other resources named by logical id, parameters at their
  defaults, the embedded AWS's region and account.
- `iam_requests` turns one logged SDK call into the (action, resource) pairs IAM authorizes: a Query
  on an index is checked against `<table-arn>/index/<name>`, a TransactWriteItems as the PutItem,
  UpdateItem, DeleteItem and ConditionCheckItem of each item, a batch per table, an SQS call on
  the ARN of its queue.
- `Policy.allows` evaluates those pairs as IAM does for identity policies: an explicit Deny wins,
  else some Allow must match; `*` and `?` are wildcards; actions ignore case, resources do not.
- `unused_grants` lists the (action, resource) grants of each policy no call used, less those the
  function needs though its code never calls them (`LAMBDAS_OWN`), each with its reason.
"""

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlparse

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from devstack.aws import ACCOUNT_ID, REGION
from devstack.aws_calls import AwsCall
from devstack.plumbing import local_names
from devstack.template import load_template, resources_of_type

PARTITION = "aws"


class PolicyCheckError(Exception):
    """The checker cannot model something it met; the message says what to teach it."""


# --- The template as SAM deploys it ------------------------------------------------------------------


def translate(template: Mapping[str, Any]) -> dict[str, Any]:
    """A SAM template transformed by samtranslator, as `sam deploy` would send it to CloudFormation.

    Local CodeUri/ContentUri folders become placeholder S3 URIs, as `sam validate` does: SAM only
    checks their form, and `sam package` replaces them before a deployment anyway.
    """
    template = copy.deepcopy(dict(template))
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for name in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(name), str):
                properties[name] = f"s3://local-placeholder/{properties[name]}"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    translated: dict[str, Any] = translator.translate(template, {}, get_managed_policy_map=dict)
    return translated


@cache
def translated_template() -> dict[str, Any]:
    """template.yaml as SAM deploys it."""
    return translate(load_template())


# --- Intrinsic functions resolved to local ARNs ------------------------------------------------------


class LocalArns:
    """Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join to what they are in the local stack and the tests.

    As devstack names them: parameters take their defaults, every table is named by its logical id
    (so is any other resource a Ref names), in the embedded AWS's region and account.
    """

    def __init__(self, template: Mapping[str, Any], refs: Mapping[str, str], region: str, account: str) -> None:
        self._resources: Mapping[str, Any] = template["Resources"]
        self._refs = refs
        self._region = region
        self._account = account

    @classmethod
    def of(cls, template: Mapping[str, Any]) -> "LocalArns":
        return cls(template, local_names(template), REGION, ACCOUNT_ID)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self.attribute(logical_id, attribute)
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::Join":
                delimiter, parts = argument
                return delimiter.join(str(self.resolve(part)) for part in parts)
            if function.startswith("Fn::"):
                raise PolicyCheckError(f"{function} in a policy is not modelled by tests/iam/policy.py")
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: str) -> str:
        return self._refs.get(name, name)

    def attribute(self, logical_id: str, attribute: str) -> str:
        """The local value of `!GetAtt logical_id.attribute`, for the resource types the stack uses."""
        kind = self._resources.get(logical_id, {}).get("Type")
        name = self.ref(logical_id)
        arns: dict[tuple[str | None, str], Callable[[], str]] = {
            ("AWS::DynamoDB::Table", "Arn"): lambda: self.arn("dynamodb", f"table/{name}"),
            # The stream's label is a creation time: any stream of the table.
            ("AWS::DynamoDB::Table", "StreamArn"): lambda: self.arn("dynamodb", f"table/{name}/stream/*"),
            ("AWS::SQS::Queue", "Arn"): lambda: self.arn("sqs", self._queue_name(logical_id)),
            ("AWS::SQS::Queue", "QueueName"): lambda: self._queue_name(logical_id),
            ("AWS::Cognito::UserPool", "Arn"): lambda: self.arn("cognito-idp", f"userpool/{name}"),
            ("AWS::Logs::LogGroup", "Arn"): lambda: self.arn("logs", f"log-group:{self._log_group(logical_id)}:*"),
        }
        if (kind, attribute) not in arns:
            raise PolicyCheckError(f"!GetAtt {logical_id}.{attribute} ({kind}) is not modelled by tests/iam/policy.py")
        return arns[kind, attribute]()

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{PARTITION}:{service}:{self._region}:{self._account}:{resource}"

    def _queue_name(self, logical_id: str) -> str:
        return str(self.resolve(self._resources[logical_id].get("Properties", {}).get("QueueName", logical_id)))

    def _log_group(self, logical_id: str) -> str:
        return str(self.resolve(self._resources[logical_id].get("Properties", {}).get("LogGroupName", logical_id)))

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.attribute(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", substitute, text)


# --- Calls as IAM authorizes them ---------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class IamRequest:
    """One authorization IAM makes for a call: an action on a resource."""

    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
"""TransactWriteItems and TransactGetItems have no IAM action of their own: each item is authorized as its kind."""

_ACCOUNT_WIDE = {"dynamodb": {"ListTables", "DescribeLimits", "DescribeEndpoints"}, "sqs": {"ListQueues"}}


def iam_requests(call: AwsCall, account: str = ACCOUNT_ID) -> list[IamRequest]:
    """What IAM authorizes for this call, in the account the call was made in."""
    if call.operation in _ACCOUNT_WIDE.get(call.service, ()):
        return [IamRequest(f"{call.service}:{call.operation}", "*")]
    if call.service == "dynamodb":
        return _dynamodb_requests(call, account)
    if call.service == "sqs":
        return _sqs_requests(call, account)
    if call.service == "apigatewaymanagementapi":
        return _connections_requests(call, account)
    raise PolicyCheckError(
        f"{call.service}:{call.operation} by {call.function}: tests/iam/policy.py does not know the resource "
        "of this service's calls; teach iam_requests"
    )


def _dynamodb_requests(call: AwsCall, account: str) -> list[IamRequest]:
    def table(name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        return f"arn:{PARTITION}:dynamodb:{call.region}:{account}:table/{name_or_arn}"

    parameters = call.parameters
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            IamRequest(_TRANSACT_ACTIONS[kind], table(body["TableName"]))
            for entry in parameters["TransactItems"]
            for kind, body in entry.items()
        ]
    action = f"dynamodb:{call.operation}"
    if call.operation in ("BatchWriteItem", "BatchGetItem"):
        return [IamRequest(action, table(name)) for name in parameters["RequestItems"]]
    if "TableName" not in parameters:
        raise PolicyCheckError(f"{action} by {call.function} names no table; teach tests/iam/policy.py its resource")
    resource = table(parameters["TableName"])
    if "IndexName" in parameters:
        resource = f"{resource}/index/{parameters['IndexName']}"
    return [IamRequest(action, resource)]


def _sqs_requests(call: AwsCall, account: str) -> list[IamRequest]:
    parameters = call.parameters
    if "QueueUrl" in parameters:
        # https://sqs.<region>.amazonaws.com/<account>/<name>, or the embedded AWS's http://host:port/<account>/<name>
        queue_account, name = urlparse(parameters["QueueUrl"]).path.strip("/").split("/")[-2:]
    elif "QueueName" in parameters:
        queue_account, name = account, parameters["QueueName"]
    else:
        raise PolicyCheckError(f"sqs:{call.operation} by {call.function} names no queue; teach tests/iam/policy.py")
    queue = f"arn:{PARTITION}:sqs:{call.region}:{queue_account}:{name}"
    requests = [IamRequest(f"sqs:{call.operation}", queue)]
    if call.operation == "CreateQueue" and "tags" in call.given:
        # SQS developer guide: tagging a queue on creation needs sqs:CreateQueue and sqs:TagQueue.
        requests.append(IamRequest("sqs:TagQueue", queue))
    return requests


def _connections_requests(call: AwsCall, account: str) -> list[IamRequest]:
    """@connections calls are execute-api:ManageConnections on `<api>/<stage>/<METHOD>/@connections/<id>`.

    In AWS the callback URL is `https://<api>.execute-api.<region>.amazonaws.com/<stage>`; the local stack
    serves it at `<its API URL>/<stage>`, which names no API: that is then the template's one WebSocket API,
    named locally by its logical id.
    """
    if "ConnectionId" not in call.parameters:
        raise PolicyCheckError(f"{call.service}:{call.operation} by {call.function} names no connection")
    endpoint = urlparse(call.endpoint)
    host = endpoint.hostname or ""
    api = host.split(".", 1)[0] if ".execute-api." in host else _local_websocket_api()
    stage = endpoint.path.strip("/").split("/")[0]
    method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}[call.operation]
    resource = f"arn:{PARTITION}:execute-api:{call.region}:{account}:{api}/{stage}/{method}/@connections/"
    return [IamRequest("execute-api:ManageConnections", resource + call.parameters["ConnectionId"])]


@cache
def _local_websocket_api() -> str:
    apis = [
        logical_id
        for logical_id, resource in resources_of_type(load_template(), "AWS::ApiGatewayV2::Api").items()
        if resource["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    if len(apis) != 1:
        raise PolicyCheckError(f"the template has {len(apis)} WebSocket APIs; @connections calls need exactly one")
    return apis[0]


# --- Policies -----------------------------------------------------------------------------------------


def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    """An IAM pattern: `*` is any run of characters (`/` and `:` included), `?` any one character."""
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text)
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern, ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    return _pattern(pattern, ignore_case=False).fullmatch(resource) is not None


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, its intrinsic functions resolved; `source` names the policy it is in."""

    effect: str
    source: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditional: bool = False

    @classmethod
    def parse(cls, document: Mapping[str, Any], source: str) -> "Statement":
        return cls(
            effect=document["Effect"],
            source=source,
            actions=_strings(document.get("Action")),
            not_actions=_strings(document.get("NotAction")),
            resources=_strings(document.get("Resource")),
            not_resources=_strings(document.get("NotResource")),
            conditional="Condition" in document,
        )

    def matches(self, request: IamRequest) -> bool:
        """Whether the statement applies to the request, its condition (if any) taken as met."""
        if self.actions:
            action_ok = any(action_matches(pattern, request.action) for pattern in self.actions)
        else:
            action_ok = not any(action_matches(pattern, request.action) for pattern in self.not_actions)
        if self.resources:
            resource_ok = any(resource_matches(pattern, request.resource) for pattern in self.resources)
        else:
            resource_ok = not any(resource_matches(pattern, request.resource) for pattern in self.not_resources)
        return action_ok and resource_ok


@dataclass(frozen=True)
class Grant:
    """One action pattern on one resource pattern that an Allow statement grants."""

    action: str
    resource: str
    source: str

    def covers(self, request: IamRequest) -> bool:
        return action_matches(self.action, request.action) and resource_matches(self.resource, request.resource)

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} ({self.source})"


@dataclass(frozen=True)
class Policy:
    """Everything a function's role allows: its inline statements and its managed policies' statements."""

    function: str
    statements: tuple[Statement, ...]
    managed_policies: tuple[str, ...] = ()
    dead_letter_targets: frozenset[str] = frozenset()
    event_sources: frozenset[str] = frozenset()
    traced: bool = False

    def allows(self, request: IamRequest) -> bool:
        """IAM's evaluation of identity policies: an explicit Deny wins, else an unconditional Allow must match.

        A conditional Deny is taken as applying and a conditional Allow as not: the checker cannot
        know the request's context, so it errs towards refusing.
        """
        if any(statement.effect == "Deny" and statement.matches(request) for statement in self.statements):
            return False
        return any(
            statement.effect == "Allow" and not statement.conditional and statement.matches(request)
            for statement in self.statements
        )

    def grants(self) -> list[Grant]:
        """The inline Allow statements, one (action, resource) pair at a time (`*` for NotAction/NotResource)."""
        return [
            Grant(action, resource, statement.source)
            for statement in self.statements
            if statement.effect == "Allow" and not statement.source.startswith(_MANAGED)
            for action in statement.actions or ("*",)
            for resource in statement.resources or ("*",)
        ]


_MANAGED = "managed policy "


@dataclass(frozen=True)
class ManagedPolicy:
    """An AWS managed policy SAM attaches, as AWS publishes it, and why the function needs it without calling it."""

    statements: tuple[Mapping[str, Any], ...]
    reason: str


_LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}

MANAGED_POLICIES: dict[str, ManagedPolicy] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": ManagedPolicy(
        (_LOGS,),
        "Lambda writes the function's logs (stdout, Powertools' Logger and metrics) to CloudWatch Logs with it.",
    ),
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": ManagedPolicy(
        (
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            },
        ),
        "`Tracing: Active`: Lambda and the X-Ray SDK send trace segments to X-Ray (over the daemon, not the SDK).",
    ),
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole": ManagedPolicy(
        (
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                "Resource": "*",
            },
            _LOGS,
        ),
        "A DynamoDB stream event source: Lambda's event source mapping reads the stream with the function's role.",
    ),
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": ManagedPolicy(
        (
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": "*",
            },
            _LOGS,
        ),
        "An SQS event source: Lambda's event source mapping polls the queue with the function's role.",
    ),
}


@dataclass(frozen=True)
class LambdasOwn:
    """Inline grants a function needs though its code never calls them: Lambda acts with its role."""

    actions: tuple[str, ...]
    reason: str
    applies: Callable[[Policy, Grant], bool] = field(compare=False)


LAMBDAS_OWN: tuple[LambdasOwn, ...] = (
    LambdasOwn(
        ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
        "The function has a DynamoDB stream event source: Lambda's event source mapping reads the stream.",
        lambda policy, grant: "dynamodb" in policy.event_sources,
    ),
    LambdasOwn(
        ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"),
        "The function has an SQS event source: Lambda's event source mapping polls and deletes its messages.",
        lambda policy, grant: "sqs" in policy.event_sources,
    ),
    LambdasOwn(
        ("sqs:SendMessage", "sns:Publish"),
        "The resource is the function's dead-letter queue or on-failure destination: Lambda sends the failed "
        "events there itself.",
        lambda policy, grant: grant.resource in policy.dead_letter_targets,
    ),
    LambdasOwn(
        ("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
        "`Tracing: Active`: Lambda and the X-Ray SDK send trace segments (through the X-Ray daemon, not the SDK).",
        lambda policy, grant: policy.traced,
    ),
)
"""The written list of grants no test can see used, each with its reason (see also MANAGED_POLICIES)."""


def lambdas_own_reason(policy: Policy, grant: Grant) -> str | None:
    """Why the function needs this grant though no call uses it, or None if nothing says it does."""
    for entry in LAMBDAS_OWN:
        if grant.action in entry.actions and entry.applies(policy, grant):
            return entry.reason
    return None


def function_policies(translated: Mapping[str, Any], arns: LocalArns) -> dict[str, Policy]:
    """Each Lambda function's role in the translated template, as a Policy, by the function's logical id."""
    resources = translated["Resources"]
    policies = {}
    for logical_id, function in resources_of_type(translated, "AWS::Lambda::Function").items():
        role_arn = function["Properties"].get("Role")
        role_id = role_arn.get("Fn::GetAtt", [None])[0] if isinstance(role_arn, dict) else None
        if role_id not in resources:
            raise PolicyCheckError(f"{logical_id}'s role is not a role of the template; tests/iam cannot check it")
        policies[logical_id] = _policy(logical_id, resources[role_id]["Properties"], translated, arns)
    return policies


def _policy(function: str, role: Mapping[str, Any], translated: Mapping[str, Any], arns: LocalArns) -> Policy:
    statements = [
        Statement.parse(arns.resolve(document), policy["PolicyName"])
        for policy in role.get("Policies", [])
        for document in _as_list(policy["PolicyDocument"]["Statement"])
    ]
    managed = tuple(str(arns.resolve(arn)) for arn in role.get("ManagedPolicyArns", []))
    for arn in managed:
        if arn not in MANAGED_POLICIES:
            raise PolicyCheckError(
                f"{function} has the managed policy {arn}, whose grants tests/iam/policy.py does not know: grant what "
                "the function calls inline instead, or add the policy to MANAGED_POLICIES with why Lambda needs it"
            )
        statements += [Statement.parse(document, _MANAGED + arn) for document in MANAGED_POLICIES[arn].statements]
    properties = translated["Resources"][function]["Properties"]
    sources = _event_sources(function, translated, arns)
    failure_targets = [properties.get("DeadLetterConfig", {}).get("TargetArn")]
    failure_targets += [target for _, target in sources]
    failure_targets += [
        invoke_config["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        for invoke_config in _of_function(translated, "AWS::Lambda::EventInvokeConfig", function)
    ]
    return Policy(
        function=function,
        statements=tuple(statements),
        managed_policies=managed,
        dead_letter_targets=frozenset(str(arns.resolve(target)) for target in failure_targets if target),
        event_sources=frozenset(service for service, _ in sources),
        traced=properties.get("TracingConfig", {}).get("Mode") == "Active",
    )


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    return [value] if isinstance(value, dict) else list(value)


def _of_function(translated: Mapping[str, Any], resource_type: str, function: str) -> list[Mapping[str, Any]]:
    """The resources of `resource_type` that name the function, or an alias of it (AutoPublishAlias: the event
    source mappings name `<Function>Aliaslive`)."""
    aliases = [
        logical_id
        for logical_id, alias in resources_of_type(translated, "AWS::Lambda::Alias").items()
        if alias["Properties"].get("FunctionName") == {"Ref": function}
    ]
    names = [{"Ref": name} for name in (function, *aliases)]
    return [
        resource
        for resource in resources_of_type(translated, resource_type).values()
        if resource["Properties"].get("FunctionName") in names
    ]


def _event_sources(function: str, translated: Mapping[str, Any], arns: LocalArns) -> list[tuple[str, Any]]:
    """(service of the source, on-failure destination) of each event source mapping that invokes the function."""
    sources = []
    for mapping in _of_function(translated, "AWS::Lambda::EventSourceMapping", function):
        properties = mapping["Properties"]
        service = str(arns.resolve(properties.get("EventSourceArn", ""))).split(":")[2:3]
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        sources.append(("".join(service), destination))
    return sources


# --- The check ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A call IAM would refuse: the function, what it needed, and the SDK call that needed it."""

    function: str
    request: IamRequest
    call: str

    def __str__(self) -> str:
        return f"{self.function}: {self.request} (for {self.call})"


def refusals(calls: Iterable[AwsCall], policies: Mapping[str, Policy]) -> list[Refusal]:
    """Every call whose policy would not allow it; a call from a function with no policy is refused."""
    found = set()
    for call in calls:
        policy = policies.get(call.function)
        for request in iam_requests(call):
            if policy is None or not policy.allows(request):
                found.add(Refusal(call.function, request, f"{call.service}:{call.operation}"))
    return sorted(found, key=str)


@dataclass(frozen=True)
class UnusedGrant:
    function: str
    grant: Grant

    def __str__(self) -> str:
        return f"{self.function}: {self.grant}"


def unused_grants(calls: Iterable[AwsCall], policies: Mapping[str, Policy]) -> tuple[list[UnusedGrant], list[str]]:
    """The inline grants no call used and nothing in LAMBDAS_OWN explains; and, apart, those it does explain."""
    used: dict[str, set[IamRequest]] = {}
    for call in calls:
        used.setdefault(call.function, set()).update(iam_requests(call))
    unexplained, explained = [], []
    for function, policy in sorted(policies.items()):
        for grant in policy.grants():
            if any(grant.covers(request) for request in used.get(function, ())):
                continue
            reason = lambdas_own_reason(policy, grant)
            if reason is None:
                unexplained.append(UnusedGrant(function, grant))
            else:
                explained.append(f"{function}: {grant}: {reason}")
        explained += [f"{function}: {arn}: {MANAGED_POLICIES[arn].reason}" for arn in policy.managed_policies]
    return unexplained, explained
