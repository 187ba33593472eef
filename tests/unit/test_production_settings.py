"""template.yaml keeps data and logs as production needs, for every table, pool and function, added later too."""

from devstack.template import load_template, resources_of_type

KEPT_TYPES = ("AWS::DynamoDB::Table", "AWS::Cognito::UserPool")


def test_every_table_and_user_pool_outlives_a_stack_deletion_and_a_replacement() -> None:
    # Given every table and user pool of the template
    template = load_template()
    kept = {
        logical_id: resource
        for kind in KEPT_TYPES
        for logical_id, resource in resources_of_type(template, kind).items()
    }

    # When their policies for deletion and replacement are read
    policies = {logical_id: (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy")) for logical_id, r in kept.items()}

    # Then each keeps its data either way
    assert policies == dict.fromkeys(kept, ("Retain", "Retain"))


def retention_of(template: dict, log_group_name: str) -> object:
    """The RetentionInDays of the template's log group named `log_group_name` (as written, a !Sub), if declared."""
    return next(
        (
            group["Properties"].get("RetentionInDays")
            for group in resources_of_type(template, "AWS::Logs::LogGroup").values()
            if group["Properties"]["LogGroupName"] == {"Fn::Sub": log_group_name}
        ),
        None,
    )


def test_every_function_logs_to_a_log_group_of_the_template_with_the_retention_parameter() -> None:
    # Given the template's functions
    template = load_template()
    names = list(resources_of_type(template, "AWS::Serverless::Function"))

    # When the log group Lambda writes each one's logs to (/aws/lambda/<function name>) is looked up
    retention = {name: retention_of(template, f"/aws/lambda/${{{name}}}") for name in names}

    # Then each is declared, with the retention the LogRetentionDays parameter sets
    assert retention == {name: {"Ref": "LogRetentionDays"} for name in names}


def test_the_api_access_log_goes_to_a_log_group_of_the_template_with_the_retention_parameter() -> None:
    # Given the API's access log destination
    template = load_template()
    [api] = resources_of_type(template, "AWS::Serverless::Api").values()
    destination = api["Properties"]["AccessLogSetting"]["DestinationArn"]["Fn::Sub"]

    # When the log group it names is looked up
    retention = retention_of(template, destination.split(":log-group:", 1)[1])

    # Then it is declared, with the retention parameter
    assert retention == {"Ref": "LogRetentionDays"}


def test_no_table_stream_is_read_by_more_than_two_functions() -> None:
    # Given every DynamoDB stream event of the template's functions
    template = load_template()
    readers: dict[str, list[str]] = {}
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                readers.setdefault(event["Properties"]["Stream"]["Fn::GetAtt"][0], []).append(name)

    # When the functions reading each table's stream are counted
    crowded = {table: names for table, names in readers.items() if len(names) > 2}

    # Then none has more than two: DynamoDB Streams throttles a shard read by more (LimitExceededException),
    # which would delay live delivery
    assert crowded == {}
