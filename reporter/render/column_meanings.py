"""What each column of the two sheets built straight from an evidence frame means (credential
report, root events), keyed by the frame's column name.

These columns are declared by the evidence parsers, not by a renderer, so their meanings live
here, beside the sheets that show them. The credential-report meanings follow AWS's description
of the report format (IAM User Guide, "Getting credential reports"); the root-event meanings
name the CloudTrail record field each value comes from (CloudTrail User Guide, "CloudTrail
record contents").
"""

from __future__ import annotations


def _key(n: int) -> dict[str, str]:
    nth = "first" if n == 1 else "second"
    return {
        f"access_key_{n}_active": f"Whether the user has a {nth} access key and its status is Active.",
        f"access_key_{n}_last_rotated": f"When the {nth} access key was created or last changed; N/A without one.",
        f"access_key_{n}_last_used_date": (
            f"When the {nth} access key last signed an AWS API request (AWS records only the first use within a "
            "15-minute span); N/A if never used or there is no such key."
        ),
        f"access_key_{n}_last_used_region": f"The AWS Region of the {nth} access key's last use; N/A if never used.",
        f"access_key_{n}_last_used_service": (
            f"The service namespace (e.g. s3, ec2) the {nth} access key last called; N/A if never used."
        ),
    }


def _cert(n: int) -> dict[str, str]:
    nth = "first" if n == 1 else "second"
    return {
        f"cert_{n}_active": f"Whether the user has a {nth} X.509 signing certificate and it is Active.",
        f"cert_{n}_last_rotated": f"When the {nth} signing certificate was created or last changed; N/A without one.",
    }


CREDENTIAL_REPORT = {
    "evidence_id": (
        "The row's evidence id, E-cred-<account>-root or E-cred-<account>-<hash of the principal's ARN>: the same "
        "every month for the same principal; findings, the PDF and findings.json cite it."
    ),
    "user": "The IAM user's friendly name; <root_account> for the account's root user.",
    "arn": "The principal's ARN; the root user's ends in :root.",
    "account_id": "The AWS account the row belongs to (taken from the ARN).",
    "is_root": "Whether the row is the account's root user (user <root_account>, ARN ending in :root).",
    "user_creation_time": "When the user was created (for root: when the account was created).",
    "password_enabled": (
        "Whether the user has a console password; older reports give not_supported for the root user."
    ),
    "password_last_used": (
        "When the password was last used to sign in to an AWS website; no_information if never used or "
        "last used before AWS began tracking (October 2014), N/A without a password."
    ),
    "password_last_changed": "When the password was last set; N/A without a password.",
    "password_next_rotation": (
        "When the account's password policy next requires a new password; N/A when no policy requires rotation, "
        "not_supported for the root user."
    ),
    "mfa_active": "Whether an MFA device is enabled for the user.",
    **_key(1),
    **_key(2),
    **_cert(1),
    **_cert(2),
    "line": "The row's line number in the raw credential-report CSV (the header is line 1).",
    "source": "The snapshot artifact the row was read from (see the Manifest sheet for its SHA-256).",
}

ROOT_EVENTS = {
    "evidence_id": (
        "The row's evidence id, E-evt-<eventID> (a hash where the eventID is missing or not plain text): "
        "findings, the PDF and findings.json cite it."
    ),
    "event_id": "The record's eventID: CloudTrail's unique id of the event.",
    "event_time": "The record's eventTime: when the request was completed.",
    "account_id": "The account that received the request (recipientAccountId, else userIdentity.accountId).",
    "region": "The record's awsRegion: the Region the request was made to.",
    "event_source": "The record's eventSource: the service the request went to (e.g. signin.amazonaws.com).",
    "event_name": "The record's eventName: the API action or console event (e.g. ConsoleLogin).",
    "interaction": (
        "How root acted, from eventName and eventType: console_sign_in, console_action, service_event or api_call."
    ),
    "success": (
        "Whether it succeeded: for ConsoleLogin, responseElements.ConsoleLogin is Success; otherwise no errorCode."
    ),
    "mfa_used": (
        "Whether MFA was used: additionalEventData.MFAUsed for ConsoleLogin, else "
        "userIdentity.sessionContext.attributes.mfaAuthenticated; empty when the record does not say."
    ),
    "source_ip": "The record's sourceIPAddress: the caller's IP address, or the AWS service that made the call.",
    "user_agent": "The record's userAgent: the tool, SDK or browser that made the request (caller-supplied text).",
    "access_key_id": "userIdentity.accessKeyId: the access key that signed the request, if any.",
    "access_key_kind": (
        "long_term for a key beginning AKIA (root's own access key), session for ASIA (temporary, e.g. a console "
        "session), other for any other prefix."
    ),
    "invoked_by": "userIdentity.invokedBy: the AWS service that made the request on root's behalf, if any.",
    "event_type": "The record's eventType (e.g. AwsApiCall, AwsConsoleSignIn, AwsServiceEvent).",
    "cis_counted": (
        "Whether the CIS root-usage metric filter counts the record: no userIdentity.invokedBy and eventType "
        "not AwsServiceEvent."
    ),
    "error_code": "The record's errorCode: the AWS error when the request failed.",
    "error_message": "The record's errorMessage: AWS's description of the error.",
    "source": "The snapshot artifact the record was read from (see the Manifest sheet for its SHA-256).",
    "location": "Where in that artifact the record is (line, record or event number).",
    "ticket": "The break-glass ticket of the --exceptions entry that authorised this root event, if any.",
}
