"""The one place that fills moto's gaps for the collector's tests.

moto 5.2 lacks what the collector needs to be tested end to end: the credential report has no
root row, GetAccountSummary hard-codes AccountMFAEnabled=0 and AccountAccessKeysPresent=0,
cloudtrail:LookupEvents, iam:ListOrganizationsFeatures and securityhub:BatchUpdateFindings are not
implemented, a Security Hub re-import overwrites a finding's Workflow (AWS keeps it, see
`_reimport`), GetEventSelectors answers nothing for a new trail (AWS answers a default
management-events selector), and nothing can refuse an AssumeRole
or throttle a call. This module patches moto's backend and response classes, so it works with
`moto.mock_aws` and with `moto.server.ThreadedMotoServer` in the same process alike. Product
code never knows about it.

    install()            idempotent, patches moto
    reset()              forget every state set below (call between tests)
    set_root(...)        the root row of an account's credential report (+ account summary MFA and keys)
    add_cloudtrail_events(account, region, records)
    set_org_features(organization_id, features)
    refuse_assume_role(role_arn)
    throttle(account, region, operation="LookupEvents")
    fail(account, region, operation, code="AccessDenied", params=None)   any call of any service
                         fails (only those with these request parameters, when given)
    unthrottle(account, region, operation="LookupEvents")   undo throttle() / fail()
    set_credential_report_time(account, when)   the report's GeneratedTime (moto: a 2015 constant)
    set_password_last_changed(account, user, when)   moto writes the user's creation time there
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudtrail.responses import CloudTrailResponse
from moto.core import errors as moto_errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.models import AccessKeyLastUsed, IAMBackend, User
from moto.iam.responses import IamResponse as IAMResponse
from moto.organizations.models import organizations_backends
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.models import SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.sts.responses import TokenResponse as STSResponse

PAGE_SIZE = 50  # what AWS serves per LookupEvents page

# AWS's default selector for a trail created without any (what GetEventSelectors then answers).
DEFAULT_EVENT_SELECTORS = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
]


@dataclass(frozen=True)
class _Root:
    created: datetime
    password_enabled: bool
    password_last_used: datetime | None
    mfa_active: bool
    key1: dict[str, Any] | None
    key2: dict[str, Any] | None


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.roots: dict[str, _Root] = {}
        self.events: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.org_features: dict[str, list[str]] = {}
        self.refused_roles: set[str] = set()
        # (account, region, operation) -> (error code, message, request parameters the call must
        # have to fail, or None for every call), answered instead of the call
        self.failing: dict[tuple[str, str, str], tuple[str, str, dict[str, Any] | None]] = {}
        self.report_times: dict[str, datetime] = {}
        self.password_changed: dict[tuple[str, str], datetime] = {}


_STATE = _State()
_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def _error(response: BaseResponse, code: str, message: str) -> ServiceException:
    """An AWS error moto serializes in the protocol of `response`'s service.

    moto finds the service model of an exception from the module that defines its class, so the
    class is made to live in the module of the response class that raises it.
    """
    cls = type(code, (ServiceException,), {"__module__": type(response).__module__})
    return cls(code, message)


def _serialized(response: BaseResponse, code: str, message: str) -> Any:
    """The wire response of an AWS error, also for codes the service model does not declare."""
    if code not in moto_errors.COMMON_ERROR_CODES:
        # moto warns about codes missing from a service's model (ThrottlingException and
        # AccessDenied are common to all services and modelled by few); it has a list of such
        # common codes, which these join. The wire format is right either way.
        moto_errors.COMMON_ERROR_CODES.append(code)
    return response.serialized(ActionResult(_error(response, code, message)))


# ---------------------------------------------------------------- public API


def install() -> None:
    global _INSTALLED
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        _patch_credential_report()
        _patch_user_rows()
        _patch_report_time()
        _patch_virtual_mfa_listing()
        _patch_account_summary()
        _patch_cloudtrail()
        _patch_iam_features()
        _patch_assume_role()
        _patch_throttling()
        _patch_security_hub()
        _INSTALLED = True


def reset() -> None:
    with _STATE.lock:
        _STATE.clear()


def set_root(
    account_id: str,
    *,
    created: datetime,
    password_enabled: bool = True,
    password_last_used: datetime | None = None,
    mfa_active: bool = False,
    key1: dict[str, Any] | None = None,
    key2: dict[str, Any] | None = None,
) -> None:
    """key dict: active, last_rotated, last_used, last_used_region, last_used_service."""
    with _STATE.lock:
        _STATE.roots[account_id] = _Root(created, password_enabled, password_last_used, mfa_active, key1, key2)


def add_cloudtrail_events(account_id: str, region: str, records: list[dict[str, Any]]) -> None:
    with _STATE.lock:
        _STATE.events.setdefault((account_id, region), []).extend(records)


def set_org_features(organization_id: str, features: list[str]) -> None:
    with _STATE.lock:
        _STATE.org_features[organization_id] = list(features)


def refuse_assume_role(role_arn: str) -> None:
    with _STATE.lock:
        _STATE.refused_roles.add(role_arn)


def throttle(account_id: str, region: str, operation: str = "LookupEvents") -> None:
    """Every `operation` call of that account in that region fails with ThrottlingException."""
    fail(account_id, region, operation, "ThrottlingException", "Rate exceeded")


def unthrottle(account_id: str, region: str, operation: str = "LookupEvents") -> None:
    """Undo throttle() or fail() for that call."""
    with _STATE.lock:
        _STATE.failing.pop((account_id, region, operation), None)


def fail(
    account_id: str,
    region: str,
    operation: str,
    code: str = "AccessDenied",
    message: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Every `operation` call (e.g. "GetAccountSummary") of that account in that region fails with
    `code`; with `params`, only the calls with those request parameters (e.g. {"ParentId": ou}:
    moto cannot refuse one resource). Global services answer in their home region (IAM,
    Organizations: us-east-1)."""
    text = message or f"User is not authorized to perform: {operation} in {region} of {account_id}"
    with _STATE.lock:
        _STATE.failing[(account_id, region, operation)] = (code, text, dict(params) if params else None)


def set_credential_report_time(account_id: str, when: datetime) -> None:
    """GetCredentialReport answers GeneratedTime=`when` for that account."""
    with _STATE.lock:
        _STATE.report_times[account_id] = when


def set_password_last_changed(account_id: str, user_name: str, when: datetime) -> None:
    """The credential report's password_last_changed of that IAM user."""
    with _STATE.lock:
        _STATE.password_changed[(account_id, user_name)] = when


# ---------------------------------------------------------------- credential report


def _stamp(value: datetime | None, missing: str = "N/A") -> str:
    return missing if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_columns(key: dict[str, Any] | None) -> list[str]:
    if not key:
        return ["false", "N/A", "N/A", "N/A", "N/A"]
    used = key.get("last_used")
    return [
        "true" if key.get("active", True) else "false",
        _stamp(key.get("last_rotated")),
        _stamp(used),
        key.get("last_used_region") or "N/A" if used else "N/A",
        key.get("last_used_service") or "N/A" if used else "N/A",
    ]


def _root_row(account_id: str, root: _Root) -> str:
    columns = [
        "<root_account>",
        f"arn:aws:iam::{account_id}:root",
        _stamp(root.created),
        "true" if root.password_enabled else "false",
        _stamp(root.password_last_used, "no_information") if root.password_enabled else "N/A",
        "not_supported",
        "not_supported",
        "true" if root.mfa_active else "false",
        *_key_columns(root.key1),
        *_key_columns(root.key2),
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    return ",".join(columns) + "\n"


def _patch_credential_report() -> None:
    original = IAMBackend.get_credential_report

    def get_credential_report(self: IAMBackend) -> str:
        report = original(self)
        with _STATE.lock:
            root = _STATE.roots.get(self.account_id)
        if root is None:
            return report
        header, _, users = report.partition("\n")
        return header + "\n" + _root_row(self.account_id, root) + users

    IAMBackend.get_credential_report = get_credential_report  # type: ignore[method-assign]


def _patch_user_rows() -> None:
    """moto writes "not_supported" for a key's last-used region/service although it keeps them
    (AccessKeyLastUsed), and for password_next_rotation, and the creation time as
    password_last_changed: AWS writes the real ones (N/A for the rotation without a max-age policy)."""
    original = User.to_csv

    def to_csv(self: User) -> str:
        columns = original(self).rstrip("\n").split(",")
        for index, key in ((11, 0), (16, 1)):
            used = self.access_keys[key].last_used if len(self.access_keys) > key else None
            if isinstance(used, AccessKeyLastUsed):
                columns[index : index + 2] = [used.region or "N/A", used.service or "N/A"]
            else:  # AWS: N/A for a key never used, or no key
                columns[index : index + 2] = ["N/A", "N/A"]
        with _STATE.lock:
            changed = _STATE.password_changed.get((self.account_id, self.name))
        columns[6] = "N/A"
        if not self.password:  # AWS: N/A for a user without a console password
            columns[4:6] = ["N/A", "N/A"]
        elif changed is not None:
            columns[5] = changed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return ",".join(columns) + "\n"

    User.to_csv = to_csv  # type: ignore[method-assign]


def _patch_report_time() -> None:
    original = IAMResponse.get_credential_report

    def get_credential_report(self: IAMResponse) -> ActionResult:
        answer = original(self)
        with _STATE.lock:
            when = _STATE.report_times.get(self.current_account)
        if when is not None and isinstance(answer.result, dict):
            answer.result["GeneratedTime"] = _stamp(when)
        return answer

    IAMResponse.get_credential_report = get_credential_report  # type: ignore[method-assign]


def _patch_virtual_mfa_listing() -> None:
    """AWS returns a device's Base32StringSeed and QRCodePNG (the TOTP secret) only from
    CreateVirtualMFADevice; moto also lists them (random bytes, and a secret in a snapshot)."""
    original = IAMResponse.list_virtual_mfa_devices

    def list_virtual_mfa_devices(self: IAMResponse) -> ActionResult:
        answer = original(self)
        result = answer.result
        if isinstance(result, dict):
            result["VirtualMFADevices"] = [
                {"SerialNumber": d.serial_number, "User": d.user, "EnableDate": d.enable_date}
                if d.user is not None
                else {"SerialNumber": d.serial_number}
                for d in result["VirtualMFADevices"]
            ]
        return answer

    IAMResponse.list_virtual_mfa_devices = list_virtual_mfa_devices  # type: ignore[method-assign]


def _patch_account_summary() -> None:
    original = IAMBackend.get_account_summary

    def get_account_summary(self: IAMBackend) -> Any:
        summary = original(self)
        with _STATE.lock:
            root = _STATE.roots.get(self.account_id)
        summary._account_mfa_enabled = 1 if root is not None and root.mfa_active else 0
        # AWS counts root's keys here; moto always answers 0, which contradicts the report's root row.
        keys = [k for k in (root.key1, root.key2) if k] if root is not None else []
        summary._account_access_keys_present = 1 if any(k.get("active") for k in keys) else 0
        return summary

    IAMBackend.get_account_summary = get_account_summary  # type: ignore[method-assign]


# ---------------------------------------------------------------- cloudtrail


def _event_time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))


def _username(record: dict[str, Any]) -> str | None:
    identity = record.get("userIdentity") or {}
    if identity.get("type") == "Root":
        return "root"
    if identity.get("userName"):
        return str(identity["userName"])
    arn = identity.get("arn") or ""
    return arn.rsplit("/", 1)[-1] or None


_ATTRIBUTE_GETTERS = {
    "Username": _username,
    "EventId": lambda r: r.get("eventID"),
    "EventName": lambda r: r.get("eventName"),
    "EventSource": lambda r: r.get("eventSource"),
    "ReadOnly": lambda r: str(r.get("readOnly", "")).lower(),
    "AccessKeyId": lambda r: (r.get("userIdentity") or {}).get("accessKeyId"),
}


def _as_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):  # botocore's JSON protocol sends epoch seconds
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _lookup_events(self: CloudTrailResponse) -> str:
    params = json.loads(self.body or "{}")
    start, end = _as_time(params.get("StartTime")), _as_time(params.get("EndTime"))
    with _STATE.lock:
        records = list(_STATE.events.get((self.current_account, self.region), []))
    selected = []
    for record in records:
        when = _event_time(record)
        if (start and when < start) or (end and when > end):
            continue
        if all(
            _ATTRIBUTE_GETTERS[a["AttributeKey"]](record) == a["AttributeValue"]
            for a in params.get("LookupAttributes") or []
        ):
            selected.append(record)
    selected.sort(key=lambda r: (_event_time(r), r.get("eventID", "")), reverse=True)
    offset = int(params.get("NextToken") or 0)
    size = min(int(params.get("MaxResults") or PAGE_SIZE), PAGE_SIZE)
    page = selected[offset : offset + size]
    body: dict[str, Any] = {
        "Events": [
            {
                "EventId": r.get("eventID"),
                "EventName": r.get("eventName"),
                "ReadOnly": str(r.get("readOnly", "false")).lower(),
                "AccessKeyId": (r.get("userIdentity") or {}).get("accessKeyId"),
                "EventTime": _event_time(r).timestamp(),
                "EventSource": r.get("eventSource"),
                "Username": _username(r),
                "Resources": [],
                "CloudTrailEvent": json.dumps(r),
            }
            for r in page
        ]
    }
    if offset + size < len(selected):
        body["NextToken"] = str(offset + size)
    return json.dumps(body)


def _patch_cloudtrail() -> None:
    original_selectors = CloudTrailResponse.get_event_selectors

    def get_event_selectors(self: CloudTrailResponse) -> str:
        answer = json.loads(original_selectors(self))
        if not answer.get("EventSelectors") and not answer.get("AdvancedEventSelectors"):
            answer["EventSelectors"] = DEFAULT_EVENT_SELECTORS
        if not answer.get("AdvancedEventSelectors"):
            answer.pop("AdvancedEventSelectors", None)
        return json.dumps(answer)

    CloudTrailResponse.get_event_selectors = get_event_selectors  # type: ignore[method-assign]
    CloudTrailResponse.lookup_events = _lookup_events  # type: ignore[attr-defined]


# ---------------------------------------------------------------- iam ListOrganizationsFeatures


def _list_organizations_features(self: IAMResponse) -> ActionResult:
    backend = organizations_backends[self.current_account][self.partition]
    try:
        organization = backend.describe_organization()["Organization"]
    except ServiceException:
        raise _error(
            self,
            "OrganizationNotFoundException",
            "The request was rejected because no organization is associated with your account.",
        ) from None
    except Exception as exc:  # moto raises its own JSON error class here
        if "NotInUse" in type(exc).__name__:
            raise _error(
                self,
                "OrganizationNotFoundException",
                "The request was rejected because no organization is associated with your account.",
            ) from None
        raise
    if organization["MasterAccountId"] != self.current_account:
        raise _error(
            self,
            "AccountNotManagementOrDelegatedAdministratorException",
            "The request was rejected because the account making the request is not the management "
            "account or delegated administrator account for centralized root access.",
        )
    with _STATE.lock:
        features = list(_STATE.org_features.get(organization["Id"], []))
    return ActionResult({"OrganizationId": organization["Id"], "EnabledFeatures": features})


def _patch_iam_features() -> None:
    IAMResponse.list_organizations_features = _list_organizations_features  # type: ignore[attr-defined]


# ---------------------------------------------------------------- sts AssumeRole


def _patch_assume_role() -> None:
    original = STSResponse.assume_role

    def assume_role(self: STSResponse) -> ActionResult:
        role_arn = self._get_param("RoleArn")
        with _STATE.lock:
            refused = role_arn in _STATE.refused_roles
        if refused:
            caller = f"arn:aws:iam::{self.current_account}:user/moto"
            status, headers, body = _serialized(
                self,
                "AccessDenied",
                f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
            headers["status"] = status  # how an action method hands call_action its status
            return body, headers
        return original(self)

    STSResponse.assume_role = assume_role  # type: ignore[method-assign]


# ---------------------------------------------------------------- injected failures (any service)


def _patch_throttling() -> None:
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        with _STATE.lock:
            armed = bool(_STATE.failing)
        if armed:
            key = (self.current_account, self.region, self._get_action())
            with _STATE.lock:
                failure = _STATE.failing.get(key)
            if failure is not None:
                code, message, params = failure
                if params is None or all(self._get_param(k) == v for k, v in params.items()):
                    return _serialized(self, code, message)
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]


# What BatchImportFindings sets only when it creates a finding: "customers use [them] to manage
# their investigation workflow" (the API reference), so a provider's later import leaves them.
_INVESTIGATION_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")


def _reimport(self: SecurityHubBackend, findings: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
    """AWS on a re-import: the investigation fields stay, and Security Hub resets a RESOLVED or
    NOTIFIED Workflow to NEW when Compliance leaves PASSED or the record comes back from ARCHIVED."""
    before = {f.id: dict(f.data) for f in self.findings}
    answer = _ORIGINAL_IMPORT(self, findings)
    for finding in self.findings:
        old = before.get(finding.id)
        if old is None:
            continue
        for name in _INVESTIGATION_FIELDS:
            if name in old:
                finding.data[name] = old[name]
            else:
                finding.data.pop(name, None)
        left_passed = (
            old.get("Compliance", {}).get("Status") == "PASSED" != finding.data.get("Compliance", {}).get("Status")
        )
        unarchived = old.get("RecordState") == "ARCHIVED" and finding.data.get("RecordState") == "ACTIVE"
        workflow = finding.data.get("Workflow", {}).get("Status", "NEW")
        if (left_passed or unarchived) and workflow in ("RESOLVED", "NOTIFIED"):
            finding.data["Workflow"] = {"Status": "NEW"}
    return answer


def _batch_update_findings(self: SecurityHubResponse) -> str:
    """The Workflow and Note of each finding named (the fields `sync_workflow` sets)."""
    params = json.loads(self.body) if self.body else {}
    stored = {(f.data.get("Id"), f.data.get("ProductArn")): f for f in self.securityhub_backend.findings}
    processed, unprocessed = [], []
    for identifier in params.get("FindingIdentifiers", []):
        finding = stored.get((identifier.get("Id"), identifier.get("ProductArn")))
        if finding is None:
            unprocessed.append(
                {"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": "no such finding"}
            )
            continue
        if "Workflow" in params:
            finding.data["Workflow"] = {"Status": params["Workflow"]["Status"]}
        if "Note" in params:
            finding.data["Note"] = {**params["Note"], "UpdatedAt": "2026-01-01T00:00:00Z"}
        processed.append(identifier)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


_ORIGINAL_IMPORT = SecurityHubBackend.batch_import_findings


def _patch_security_hub() -> None:
    SecurityHubBackend.batch_import_findings = _reimport  # type: ignore[method-assign]
    SecurityHubResponse.batch_update_findings = _batch_update_findings  # type: ignore[attr-defined]
    securityhub_urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch
