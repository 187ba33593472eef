"""PARAMETER_OVERRIDES, as `make run` and the tests take them: refused in one line where CloudFormation would refuse."""

import pytest

from devstack.template import UnsupportedTemplate, load_template, parameter_values


@pytest.mark.parametrize("value", ["2.5", "0", "-3", "1e3", "lots"])
def test_a_quota_that_is_not_a_positive_whole_number_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # When the stack is given a quota CloudFormation's pattern refuses
    monkeypatch.setenv("PARAMETER_OVERRIDES", f"MaxLiveGroupsPerUser={value}")

    # Then the values cannot be read: one line names the parameter, the value and what is allowed
    with pytest.raises(UnsupportedTemplate, match=f"MaxLiveGroupsPerUser={value} is not allowed .a whole number"):
        parameter_values(load_template())


def test_an_allowed_override_replaces_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARAMETER_OVERRIDES", "MaxLiveGroupsPerUser=3 LogRetentionDays=7")
    values = parameter_values(load_template())
    assert (values["MaxLiveGroupsPerUser"], values["LogRetentionDays"]) == ("3", "7")


def test_a_value_outside_allowed_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARAMETER_OVERRIDES", "LogRetentionDays=8")
    with pytest.raises(UnsupportedTemplate, match="LogRetentionDays=8 is not allowed"):
        parameter_values(load_template())
