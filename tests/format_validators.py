"""The standards' own validators for the pack's exchange formats, shared by the renderers' tests and
by tests/test_image_outputs.py (the files a built container wrote): OCSF through py-ocsf-models,
ASFF through botocore's Security Hub model, OSCAL through trestle's models, JUnit through the
Jenkins xUnit schema, HTML through the HTML standard's parsing algorithm (tinyhtml5)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore.session
from botocore.validate import ParamValidator
from lxml import etree
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud
from tinyhtml5.parser import HTMLParser
from trestle.oscal.assessment_results import AssessmentResults

JUNIT_SCHEMA = Path(__file__).parent / "render" / "schemas" / "junit-10.xsd"  # provenance: schemas/README.md


def assert_valid_ocsf_event(event: dict[str, Any]) -> None:
    cloud = event["cloud"]  # the cloud profile's object, validated by its own model
    assert Cloud.model_validate(cloud).model_dump(mode="json", exclude_unset=True) == cloud
    rest = {key: value for key, value in event.items() if key != "cloud"}
    # The models ignore unknown keys: the round trip proves every key we write is one of OCSF's.
    assert ComplianceFinding.model_validate(rest).model_dump(mode="json", exclude_unset=True) == rest


def shape_problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """What ParamValidator leaves unchecked: enums, maximum lengths and patterns of the model."""
    problems = []
    limit = shape.metadata.get("max")
    if limit is not None and hasattr(value, "__len__") and len(value) > limit:
        problems.append(f"{where}: longer than {limit}")
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} not in {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value, re.DOTALL):
            problems.append(f"{where}: does not match {pattern}")
    elif shape.type_name == "structure":
        for name, member in value.items():
            problems += shape_problems(member, shape.members[name], f"{where}.{name}")
    elif shape.type_name == "list":
        for i, member in enumerate(value):
            problems += shape_problems(member, shape.member, f"{where}[{i}]")
    elif shape.type_name == "map":
        for key, member in value.items():
            problems += shape_problems(member, shape.value, f"{where}[{key}]")
    return problems


def assert_valid_asff(findings: list[dict[str, Any]]) -> None:
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    for start in range(0, len(findings), 100):
        params = {"Findings": findings[start : start + 100]}
        report_ = ParamValidator().validate(params, shape)
        assert not report_.has_errors(), report_.generate_report()
        assert shape_problems(params, shape) == []


def valid_oscal(document: dict[str, Any]) -> AssessmentResults:
    return AssessmentResults.model_validate(document["assessment-results"])


def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(JUNIT_SCHEMA))


def html_problems(data: bytes) -> list[str]:
    """The parse errors the HTML standard defines, found by its parsing algorithm as tinyhtml5
    (WeasyPrint's parser, a fork of html5lib) implements it, and a document outside no-quirks mode:
    each is a place where a browser must guess what the page meant."""
    parser = HTMLParser()
    parser.parse(data)
    problems = [f"{position}: {code} {extra or ''}".rstrip() for position, code, extra in parser.errors]
    if parser.compatibility_mode != "no quirks":
        problems.append(f"rendered in {parser.compatibility_mode} mode")
    return problems
