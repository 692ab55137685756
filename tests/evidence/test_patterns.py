"""The pure evaluators: CloudWatch Logs filter patterns, EventBridge patterns, SCP statements."""

from __future__ import annotations

import pytest
from factory import ACCOUNT, CIS_ROOT_PATTERN

from reporter.checks.alert_samples import ordinary_samples, root_samples
from reporter.evidence.event_pattern import EventPatternError, compile_event_pattern, event_pattern_matches
from reporter.evidence.metric_filter_pattern import FilterPatternError, compile_filter_pattern
from reporter.evidence.scp import PolicyError, denies_root, parse_policy

SIGN_IN, IAM_CALL, EC2_CALL, *_ = (s.record for s in root_samples(ACCOUNT))
USER_CALL, ROLE_CALL = (s.record for s in ordinary_samples(ACCOUNT))
SERVICE_EVENT = {**EC2_CALL, "eventType": "AwsServiceEvent"}
INVOKED = {**EC2_CALL, "userIdentity": {**EC2_CALL["userIdentity"], "invokedBy": "support.amazonaws.com"}}


def matches(pattern: str, event: dict) -> bool:
    return compile_filter_pattern(pattern).matches(event)


# --- CloudWatch Logs filter patterns -------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        CIS_ROOT_PATTERN,
        # the same terms reordered, unquoted values, extra parentheses and spacing
        "{($.eventType!=AwsServiceEvent)&&($.userIdentity.invokedBy NOT EXISTS)&&($.userIdentity.type=Root)}",
        # wider with ||: still root-only
        '{ ($.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS) || '
        '($.userIdentity.arn = "arn:aws:iam::*:root" && $.eventName = "ConsoleLogin") }',
        '{ $.userIdentity.type = "Ro*" }',
    ],
)
def test_root_patterns_match_root_and_not_ordinary_calls(pattern: str) -> None:
    assert matches(pattern, SIGN_IN) and matches(pattern, IAM_CALL) and matches(pattern, EC2_CALL)
    assert not matches(pattern, USER_CALL) and not matches(pattern, ROLE_CALL)


def test_cis_pattern_excludes_service_events_and_invoked_by() -> None:
    assert not matches(CIS_ROOT_PATTERN, SERVICE_EVENT)
    assert not matches(CIS_ROOT_PATTERN, INVOKED)


def test_operators_and_literals() -> None:
    event = {"a": {"n": 5, "f": 2.5, "t": True, "z": None, "s": "Hello-World", "list": [{"x": "first"}, {"x": "2nd"}]}}
    yes = [
        "{ $.a.n = 5 }",
        "{ $.a.n >= 5 && $.a.n < 6 && $.a.f > 2 && $.a.f <= 2.5 }",
        "{ $.a.n != 4 }",
        "{ $.a.t IS TRUE }",
        "{ $.a.z IS NULL }",
        '{ $.a.s = "Hello-*" }',
        "{ $.a.s = *World }",
        '{ $.a.list[1].x = "2nd" }',
        "{ $.a.z EXISTS }",
        "{ $.a.missing NOT EXISTS }",
        "{ $.a.list[0].x EXISTS }",
        "{ ($.a.n = 1 || $.a.n = 5) && $.a.t is true }",
        "",
    ]
    no = [
        "{ $.a.t IS FALSE }",
        "{ $.a.n IS NULL }",
        '{ $.a.missing != "x" }',
        "{ $.a.missing = * }",
        '{ $.a.s = "hello-world" }',
        "{ $.a.list[2].x EXISTS }",
        "{ $.a.s > 3 }",
        "{ $.a EXISTS && $.a.n = 6 }",
    ]
    for pattern in yes:
        assert matches(pattern, event), pattern
    for pattern in no:
        assert not matches(pattern, event), pattern


@pytest.mark.parametrize(
    "pattern, words",
    [
        ('{ $.userIdentity.type = "Root" ', "ends too early"),
        ('{ $.userIdentity.type = "Root }', "never closed"),
        ("{ userIdentity.type = Root }", "selector"),
        ('{ $.a.b < "x" }', "needs a number"),
        ("{ $.a IS MAYBE }", "TRUE, FALSE or NULL"),
        ("{ $.a NOT THERE }", "EXISTS"),
        ("{ $.a = 1 && }", "position 14: expected a selector"),
        ("{ $.a = 1 } extra", "after the closing"),
        ('"Root"', "not a JSON filter pattern"),
        ("{ $..a = 1 }", "bad selector"),
    ],
)
def test_broken_patterns_say_why(pattern: str, words: str) -> None:
    with pytest.raises(FilterPatternError, match=words):
        compile_filter_pattern(pattern)


# --- EventBridge ---------------------------------------------------------------------------------

ROOT_RULE = {"detail": {"userIdentity": {"type": ["Root"]}}}


def bus(sample_index: int = 0, region: str = "us-east-1") -> dict:
    return root_samples(ACCOUNT, region)[sample_index].event


def test_event_pattern_basics() -> None:
    sign_in, api = bus(0), bus(1)
    assert event_pattern_matches(ROOT_RULE, sign_in) and event_pattern_matches(ROOT_RULE, api)
    assert not event_pattern_matches(ROOT_RULE, ordinary_samples(ACCOUNT)[0].event)
    only_sign_in = {
        "detail-type": ["AWS Console Sign In via CloudTrail"],
        "source": ["aws.signin"],
        "detail": {"userIdentity": {"type": ["Root"]}},
    }
    assert event_pattern_matches(only_sign_in, sign_in) and not event_pattern_matches(only_sign_in, api)
    assert event_pattern_matches(
        json_text := '{"source": [{"prefix": "aws."}], "detail": {"userIdentity": {"arn": [{"suffix": ":root"}]}}}', api
    ), json_text


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ({"source": [{"anything-but": "aws.signin"}], "detail": {"userIdentity": {"type": ["Root"]}}}, True),
        ({"source": [{"anything-but": ["aws.iam", "aws.signin"]}]}, False),
        ({"source": [{"anything-but": {"prefix": "aws.s"}}]}, True),
        ({"detail": {"userIdentity": {"invokedBy": [{"exists": False}]}}}, True),
        ({"detail": {"userIdentity": {"invokedBy": [{"exists": True}]}}}, False),
        ({"detail": {"userIdentity": {"invokedBy": [{"anything-but": "x"}]}}}, False),  # absent field
        ({"detail": {"userIdentity": {"type": [{"equals-ignore-case": "ROOT"}]}}}, True),
        ({"detail": {"userIdentity": {"arn": [{"wildcard": "arn:aws:iam::*:root"}]}}}, True),
        ({"detail": {"userIdentity": {"type": [{"prefix": {"equals-ignore-case": "ro"}}]}}}, True),
        ({"detail": {"sourceIPAddress": [{"cidr": "198.51.100.0/24"}]}}, True),
        ({"detail": {"readOnly": [False]}}, True),
        ({"$or": [{"source": ["aws.nothing"]}, {"detail": {"userIdentity": {"type": ["Root"]}}}]}, True),
        ({"$or": [{"source": ["aws.nothing"]}, {"detail-type": ["nothing"]}]}, False),
        ({"detail": {"eventVersion": [{"numeric": [">", 1, "<=", 1.09]}]}}, False),  # a string, not a number
        ({"resources": [{"exists": True}]}, True),
    ],
)
def test_event_pattern_operators(pattern: dict, expected: bool) -> None:
    assert event_pattern_matches(pattern, bus(1)) is expected


def test_numeric_and_arrays() -> None:
    event = {"detail": {"n": 7, "tags": ["a", "root"]}}
    assert event_pattern_matches({"detail": {"n": [{"numeric": [">=", 7, "<", 8]}]}}, event)
    assert not event_pattern_matches({"detail": {"n": [{"numeric": ["<", 7]}]}}, event)
    assert event_pattern_matches({"detail": {"tags": ["root"]}}, event)
    assert event_pattern_matches({"detail": {"n": [7]}}, event)


@pytest.mark.parametrize(
    "pattern, words",
    [
        ('{"source": "aws.signin"}', "must be arrays"),
        ('{"source": []}', "empty array"),
        ('{"source": [{"regex": "x"}]}', "unknown operator"),
        ('{"source": [{"numeric": [">", "1"]}]}', "numeric"),
        ('{"$or": [{"source": ["a"]}]}', "at least two"),
        ("{not json", "not valid JSON"),
        ("[]", "non-empty JSON object"),
    ],
)
def test_bad_event_patterns(pattern: str, words: str) -> None:
    with pytest.raises(EventPatternError, match=words):
        compile_event_pattern(pattern)


# --- SCP statements ------------------------------------------------------------------------------


def verdicts(statement: dict | list, account: str = "210987654321", partition: str = "aws") -> list:
    root = f"arn:{partition}:iam::{account}:root"
    return denies_root(parse_policy({"Version": "2012-10-17", "Statement": statement}), root)


ROOT_DENY = {
    "Sid": "DenyRoot",
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
}


@pytest.mark.parametrize(
    "change, counts",
    [
        ({}, True),
        ({"Condition": {"StringLike": {"AWS:PrincipalARN": "arn:aws:iam::*:root"}}}, True),  # key case-insensitive
        ({"Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::210987654321:root"}}}, True),
        ({"Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:root"}}}, True),
        ({"Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}, False),  # no wildcards in Equals
        ({"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:root"}}}, False),
        ({"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:ro?t"}}}, True),
        ({"Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}}}, True),
        (
            {
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
                    "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
                }
            },
            False,
        ),  # narrowed
        (
            {
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
                    "Bool": {"aws:MultiFactorAuthPresent": "false"},
                }
            },
            False,
        ),
        ({"Action": ["*:*"]}, True),
        ({"Action": ["iam:*", "s3:*"]}, False),
        ({"Action": None, "NotAction": ["iam:ChangePassword"]}, False),
        ({"Resource": "arn:aws:s3:::*"}, False),
        ({"Effect": "Allow"}, False),
        ({"Condition": None}, True),  # no condition: denies everybody, root included
    ],
)
def test_scp_statement_verdicts(change: dict, counts: bool) -> None:
    statement = {**ROOT_DENY, **change}
    statement = {k: v for k, v in statement.items() if v is not None}
    [verdict] = verdicts(statement)
    assert verdict.counts is counts, verdict.reason
    assert verdict.reason


def test_scp_documents() -> None:
    assert [v.counts for v in verdicts([{"Effect": "Allow", "Action": "*", "Resource": "*"}, ROOT_DENY])] == [
        False,
        True,
    ]
    for bad in ('{"Statement": ', '{"Version": "2012-10-17"}', '{"Statement": ["x"]}'):
        with pytest.raises(PolicyError):
            parse_policy(bad)
