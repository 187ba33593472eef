"""The IAM checker itself: a mistake here would let a forbidden call pass, or a needed grant be removed."""

from dataclasses import replace
from typing import Any

import pytest

from devstack.aws_calls import AwsCall, naming_parameters
from tests.iam.policy import (
    IamRequest,
    LocalArns,
    Policy,
    PolicyCheckError,
    Statement,
    function_policies,
    iam_requests,
    refusals,
    translate,
    unused_grants,
)

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}"
QUEUES_UNDER_THE_PREFIX = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueNamePrefix}-*"


@pytest.fixture(autouse=True)
def _no_parameter_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """These templates are small ones of the tests' own: the suite's quota overrides name none of their parameters."""
    monkeypatch.delenv("PARAMETER_OVERRIDES", raising=False)


def call(operation: str, service: str = "dynamodb", given: tuple[str, ...] = (), **parameters: Any) -> AwsCall:
    return AwsCall(
        function="F",
        service=service,
        operation=operation,
        region="us-east-1",
        endpoint="http://127.0.0.1:4566",
        parameters=parameters,
        given=given or tuple(parameters),
    )


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy(function="F", statements=tuple(Statement.parse(document, "inline") for document in statements))


def allow(action: str | list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def refused(calls: list[AwsCall], granted: Policy) -> list[str]:
    return [str(refusal.request) for refusal in refusals(calls, {"F": granted})]


def sam_template(function: dict[str, Any], **resources: Any) -> dict[str, Any]:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        },
    }
    properties = {"CodeUri": "functions/f/", "Handler": "app.handler", "Runtime": "python3.13"} | function
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"QueueNamePrefix": {"Type": "String", "Default": "chatgroup-dev"}},
        "Resources": {"Groups": table, "F": {"Type": "AWS::Serverless::Function", "Properties": properties}}
        | resources,
    }


def policies_of(template: dict[str, Any]) -> dict[str, Policy]:
    translated = translate(template)
    return function_policies(translated, LocalArns.of(translated))


# --- Patterns ---


def test_a_queue_under_the_stacks_prefix_matches_the_prefix_wildcard() -> None:
    # Given a grant on every queue under the prefix
    granted = policy(allow("sqs:SendMessage", f"{QUEUE}:chatgroup-dev-*"))

    # When a group's queue and a queue of another prefix are sent to
    calls = [
        call("SendMessage", "sqs", QueueUrl=f"http://127.0.0.1:4566/{ACCOUNT}/chatgroup-dev-0f8b.fifo"),
        call("SendMessage", "sqs", QueueUrl=f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/other-0f8b.fifo"),
    ]

    # Then only the other prefix's queue is refused
    assert refused(calls, granted) == [f"sqs:SendMessage on {QUEUE}:other-0f8b.fifo"]


def test_actions_ignore_case_and_take_wildcards_but_resources_keep_their_case() -> None:
    # Given a grant of every Get action on one table, written in another case
    granted = policy(allow("DynamoDB:get*", f"{TABLE}/Groups"))

    # When GetItem is called on that table and on one whose name differs only in case
    calls = [call("GetItem", TableName="Groups"), call("GetItem", TableName="groups")]

    # Then the second is refused
    assert refused(calls, granted) == [f"dynamodb:GetItem on {TABLE}/groups"]


def test_a_question_mark_stands_for_exactly_one_character() -> None:
    granted = policy(allow("dynamodb:GetItem", f"{TABLE}/Group?"))

    calls = [call("GetItem", TableName="Groups"), call("GetItem", TableName="Group")]

    assert refused(calls, granted) == [f"dynamodb:GetItem on {TABLE}/Group"]


# --- Calls as IAM requests ---


def test_a_query_on_an_index_is_checked_against_the_index_not_its_table() -> None:
    # Given a Query grant on the table only
    granted = policy(allow("dynamodb:Query", f"{TABLE}/Members"))

    # When the table and its index are queried
    calls = [call("Query", TableName="Members"), call("Query", TableName="Members", IndexName="by_user")]

    # Then the Query on the index is refused
    assert refused(calls, granted) == [f"dynamodb:Query on {TABLE}/Members/index/by_user"]


def test_a_grant_on_an_index_does_not_cover_its_table() -> None:
    granted = policy(allow("dynamodb:Query", f"{TABLE}/Members/index/by_user"))

    calls = [call("Query", TableName="Members"), call("Query", TableName="Members", IndexName="by_user")]

    assert refused(calls, granted) == [f"dynamodb:Query on {TABLE}/Members"]


def test_a_transaction_needs_each_items_own_action_on_its_table() -> None:
    # Given a transaction of a condition check, a put, an update and a delete on two tables
    transaction = call(
        "TransactWriteItems",
        TransactItems=[
            {"ConditionCheck": {"TableName": "Groups"}},
            {"Put": {"TableName": "Members"}},
            {"Update": {"TableName": "Groups"}},
            {"Delete": {"TableName": "Members"}},
        ],
    )

    # When IAM authorizes it
    requests = iam_requests(transaction)

    # Then it authorizes each item as its own action, and no TransactWriteItems action
    assert [str(request) for request in requests] == [
        f"dynamodb:ConditionCheckItem on {TABLE}/Groups",
        f"dynamodb:PutItem on {TABLE}/Members",
        f"dynamodb:UpdateItem on {TABLE}/Groups",
        f"dynamodb:DeleteItem on {TABLE}/Members",
    ]


def test_a_transaction_is_refused_for_the_one_item_action_the_policy_lacks() -> None:
    granted = policy(allow(["dynamodb:PutItem", "dynamodb:UpdateItem"], [f"{TABLE}/Groups", f"{TABLE}/Members"]))
    transaction = call(
        "TransactWriteItems",
        TransactItems=[{"ConditionCheck": {"TableName": "Members"}}, {"Put": {"TableName": "Groups"}}],
    )

    assert refused([transaction], granted) == [f"dynamodb:ConditionCheckItem on {TABLE}/Members"]


def test_a_batch_write_is_authorized_on_every_table_it_writes() -> None:
    granted = policy(allow("dynamodb:BatchWriteItem", f"{TABLE}/Members"))
    batch = call("BatchWriteItem", RequestItems=["Inbox", "Members"])

    assert refused([batch], granted) == [f"dynamodb:BatchWriteItem on {TABLE}/Inbox"]


def test_creating_a_tagged_queue_also_needs_tag_queue() -> None:
    # Given a grant of CreateQueue alone
    granted = policy(allow("sqs:CreateQueue", f"{QUEUE}:chatgroup-dev-*"))

    # When a queue is created with tags, and another without
    calls = [
        call("CreateQueue", "sqs", given=("Attributes", "QueueName", "tags"), QueueName="chatgroup-dev-a.fifo"),
        call("CreateQueue", "sqs", given=("Attributes", "QueueName"), QueueName="chatgroup-dev-b.fifo"),
    ]

    # Then the tagged one is refused sqs:TagQueue
    assert refused(calls, granted) == [f"sqs:TagQueue on {QUEUE}:chatgroup-dev-a.fifo"]


def test_a_call_of_a_service_the_checker_does_not_know_fails_loudly() -> None:
    with pytest.raises(PolicyCheckError, match="teach iam_requests"):
        iam_requests(call("Publish", "sns", TopicArn="arn:aws:sns:us-east-1:123456789012:t"))


def test_a_call_from_a_function_without_a_policy_is_refused() -> None:
    assert refusals([call("GetItem", TableName="Groups")], {}) != []


def test_the_log_keeps_what_names_resources_and_no_item_values() -> None:
    # Given a transaction as PynamoDB sends it, with keys and values
    params = {
        "TransactItems": [
            {"Put": {"TableName": "Members", "Item": {"user_id": {"S": "alice"}}}},
            {"ConditionCheck": {"TableName": "Groups", "Key": {"id": {"S": "g"}}, "ConditionExpression": "x"}},
        ],
        "ClientRequestToken": "token",
    }

    # When it is reduced for the log
    named = naming_parameters(params)

    # Then each item's kind and table are kept, and nothing else
    assert named == {"TransactItems": [{"Put": {"TableName": "Members"}}, {"ConditionCheck": {"TableName": "Groups"}}]}


# --- Evaluation ---


def test_an_explicit_deny_wins_over_an_allow() -> None:
    granted = policy(
        allow("dynamodb:*", f"{TABLE}/*"),
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": f"{TABLE}/Groups"},
    )

    calls = [call("DeleteItem", TableName="Groups"), call("DeleteItem", TableName="Members")]

    assert refused(calls, granted) == [f"dynamodb:DeleteItem on {TABLE}/Groups"]


def test_a_conditional_allow_is_not_taken_as_allowing() -> None:
    granted = policy(
        allow("dynamodb:GetItem", f"{TABLE}/Groups") | {"Condition": {"Bool": {"aws:SecureTransport": True}}}
    )

    assert refused([call("GetItem", TableName="Groups")], granted) == [f"dynamodb:GetItem on {TABLE}/Groups"]


def test_not_action_allows_every_other_action() -> None:
    granted = policy({"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"})

    calls = [call("GetItem", TableName="Groups"), call("DeleteItem", TableName="Groups")]

    assert refused(calls, granted) == [f"dynamodb:DeleteItem on {TABLE}/Groups"]


# --- The template as SAM deploys it ---


def test_references_in_a_policy_resolve_to_the_arns_of_the_local_tables_and_queues() -> None:
    # Given a function whose statements use !GetAtt, !Sub with an attribute, and a parameter
    template = sam_template(
        {
            "Policies": [
                {
                    "Statement": [
                        allow("dynamodb:GetItem", {"Fn::GetAtt": ["Groups", "Arn"]}),
                        allow("dynamodb:Query", {"Fn::Sub": "${Groups.Arn}/index/by_event"}),
                        allow(
                            "sqs:SendMessage",
                            {"Fn::Sub": QUEUES_UNDER_THE_PREFIX},
                        ),
                    ]
                }
            ]
        }
    )

    # When it is translated and resolved
    grants = policies_of(template)["F"].grants()

    # Then each grant names the local resource
    assert [(grant.action, grant.resource) for grant in grants] == [
        ("dynamodb:GetItem", f"{TABLE}/Groups"),
        ("dynamodb:Query", f"{TABLE}/Groups/index/by_event"),
        ("sqs:SendMessage", f"{QUEUE}:chatgroup-dev-*"),
    ]


def test_a_sam_policy_template_is_checked_as_the_statements_it_expands_to() -> None:
    template = sam_template({"Policies": [{"DynamoDBReadPolicy": {"TableName": {"Ref": "Groups"}}}]})

    granted = policies_of(template)["F"]

    assert granted.allows(iam_requests(call("Query", TableName="Groups", IndexName="any"))[0])
    assert not granted.allows(iam_requests(call("PutItem", TableName="Groups"))[0])


def test_the_logs_and_xray_policies_sam_attaches_are_listed_as_lambdas_own() -> None:
    # Given a traced function with no grant of its own
    template = sam_template({"Tracing": "Active"})

    # When its unused grants are listed
    unexplained, lambdas_own = unused_grants([], policies_of(template))

    # Then nothing is unexplained, and both managed policies are listed with their reason
    assert unexplained == []
    assert [line.split(": ")[1] for line in lambdas_own] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ]


def test_a_grant_no_call_used_is_reported() -> None:
    # Given grants of GetItem and DeleteItem, and only a GetItem made
    template = sam_template(
        {
            "Policies": [
                {"Statement": [allow(["dynamodb:GetItem", "dynamodb:DeleteItem"], {"Fn::GetAtt": ["Groups", "Arn"]})]}
            ]
        }
    )

    # When the unused grants are listed
    unexplained, _ = unused_grants([call("GetItem", TableName="Groups")], policies_of(template))

    # Then DeleteItem is
    assert [(entry.grant.action, entry.grant.resource) for entry in unexplained] == [
        ("dynamodb:DeleteItem", f"{TABLE}/Groups")
    ]


def test_sending_to_the_dead_letter_queue_is_lambdas_own() -> None:
    # Given a function with a dead-letter queue, whose code sends nothing there
    template = sam_template(
        {"DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}}},
        Dead={"Type": "AWS::SQS::Queue"},
    )

    # When its unused grants are listed
    unexplained, lambdas_own = unused_grants([], policies_of(template))

    # Then the send to the dead-letter queue is Lambda's own
    assert unexplained == []
    assert any(f"sqs:SendMessage on {QUEUE}:Dead" in line and "dead-letter" in line for line in lambdas_own)


def test_sending_to_another_queue_is_not_excused_as_a_dead_letter() -> None:
    template = sam_template(
        {
            "DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}},
            "Policies": [{"Statement": [allow("sqs:SendMessage", {"Fn::GetAtt": ["Other", "Arn"]})]}],
        },
        Dead={"Type": "AWS::SQS::Queue"},
        Other={"Type": "AWS::SQS::Queue"},
    )

    unexplained, _ = unused_grants([], policies_of(template))

    assert [(entry.grant.action, entry.grant.resource) for entry in unexplained] == [
        ("sqs:SendMessage", f"{QUEUE}:Other")
    ]


def test_stream_reads_are_lambdas_own_for_a_function_the_stream_triggers() -> None:
    # Given a function triggered by the table's stream, with the stream reads also granted inline
    stream_reads = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    template = sam_template(
        {
            "Events": {
                "Inserts": {
                    "Type": "DynamoDB",
                    "Properties": {"Stream": {"Fn::GetAtt": ["Groups", "StreamArn"]}, "StartingPosition": "LATEST"},
                }
            },
            "Policies": [{"Statement": [allow(stream_reads, {"Fn::GetAtt": ["Groups", "StreamArn"]})]}],
        }
    )

    # When its unused grants are listed
    unexplained, _ = unused_grants([], policies_of(template))

    # Then none is unexplained: the event source mapping reads the stream with the function's role
    assert unexplained == []


def test_a_stream_trigger_of_the_published_alias_is_the_functions_own_with_its_on_failure_queue() -> None:
    # Given a function published as `live`, triggered through that alias, whose failures go to a queue
    template = sam_template(
        {
            "AutoPublishAlias": "live",
            "Events": {
                "Inserts": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": {"Fn::GetAtt": ["Groups", "StreamArn"]},
                        "StartingPosition": "LATEST",
                        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Dead", "Arn"]}}},
                    },
                }
            },
            "Policies": [{"Statement": [allow("sqs:SendMessage", {"Fn::GetAtt": ["Dead", "Arn"]})]}],
        },
        Dead={"Type": "AWS::SQS::Queue"},
    )

    # When its unused grants are listed
    unexplained, _ = unused_grants([], policies_of(template))

    # Then the send to the on-failure queue is Lambda's own, as without the alias
    assert unexplained == []


def test_stream_reads_by_a_function_no_stream_triggers_are_reported() -> None:
    template = sam_template(
        {"Policies": [{"Statement": [allow("dynamodb:GetRecords", {"Fn::GetAtt": ["Groups", "StreamArn"]})]}]}
    )

    unexplained, _ = unused_grants([], policies_of(template))

    assert [entry.grant.action for entry in unexplained] == ["dynamodb:GetRecords"]


def test_a_managed_policy_whose_grants_are_unknown_is_refused() -> None:
    template = sam_template({"Policies": ["AmazonDynamoDBFullAccess"]})

    with pytest.raises(PolicyCheckError, match="AmazonDynamoDBFullAccess"):
        policies_of(template)


@pytest.mark.parametrize(
    ("endpoint", "api"),
    [("https://a1b2c3.execute-api.us-east-1.amazonaws.com/dev", "a1b2c3"), ("http://127.0.0.1:3000/dev", None)],
    ids=["in AWS", "locally"],
)
def test_posting_to_a_connection_is_manage_connections_on_that_connection_of_the_api(
    endpoint: str, api: str | None
) -> None:
    # Given a PostToConnection through the API's callback URL, in AWS or as the local stack serves it
    posted = replace(
        call("PostToConnection", service="apigatewaymanagementapi", ConnectionId="c0nn="), endpoint=endpoint
    )

    # Then IAM checks execute-api:ManageConnections on that connection of that API's stage (locally, the
    # template's one WebSocket API, by its logical id)
    api = api or "ChatWebSocketApi"
    resource = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/dev/POST/@connections/c0nn="
    assert iam_requests(posted) == [IamRequest("execute-api:ManageConnections", resource)]
