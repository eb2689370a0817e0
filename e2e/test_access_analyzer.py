"""IAM Access Analyzer's ValidatePolicy (restJson1) through boto3 and the aws
CLI, unchanged, against a real server: findings in AWS's shape, paging, its
validation errors and access denial."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError, ParamValidationError


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BAD = doc({"Effect": "Allow", "Action": ["s3:GetObjekt", "iam:PassRole", "s3:*"], "Resource": "*"})


def test_validate_policy_findings(server):
    aa = server.client("accessanalyzer")
    r = aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY")
    codes = {f["issueCode"]: f for f in r["findings"]}
    assert {"INVALID_ACTION", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "WILDCARD_ACTION_ON_SENSITIVE_SERVICE"} <= set(codes)
    f = codes["INVALID_ACTION"]
    assert f["findingType"] == "ERROR"
    assert f["findingDetails"].startswith("The action s3:GetObjekt does not exist.")
    assert f["learnMoreLink"].endswith("#access-analyzer-reference-policy-checks-error-invalid-action")
    loc = f["locations"][0]
    assert loc["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Action"}, {"index": 0}]
    assert loc["span"]["start"]["line"] == 1 and loc["span"]["start"]["offset"] == BAD.index('"s3:GetObjekt"')
    passrole = codes["PASS_ROLE_WITH_STAR_IN_RESOURCE"]
    assert passrole["findingType"] == "SECURITY_WARNING"
    # Two locations, the action and the resource; a single "Resource" string is not indexed.
    assert [l["path"] for l in passrole["locations"]] == [
        [{"value": "Statement"}, {"index": 0}, {"value": "Action"}, {"index": 1}],
        [{"value": "Statement"}, {"index": 0}, {"value": "Resource"}],
    ]
    clean = aa.validate_policy(policyDocument=doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
                               policyType="IDENTITY_POLICY")
    assert clean["findings"] == []
    public = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    r = aa.validate_policy(policyDocument=public, policyType="RESOURCE_POLICY", validatePolicyResourceType="AWS::S3::Bucket")
    assert [f["issueCode"] for f in r["findings"]] == ["PUBLIC_PRINCIPAL_WITHOUT_CONDITION"]


def test_validate_policy_pages(server):
    aa = server.client("accessanalyzer")
    first = aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY", maxResults=1)
    assert len(first["findings"]) == 1 and "nextToken" in first
    assert not first["nextToken"].isdigit()
    second = aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY", maxResults=1, nextToken=first["nextToken"])
    assert second["findings"] and second["findings"] != first["findings"]
    # A token that names no page of this document: ValidationException.
    for token in ["5", "not-a-token", first["nextToken"] + "x"]:
        with pytest.raises(ClientError) as e:
            aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY", nextToken=token)
        assert e.value.response["Error"]["Code"] == "ValidationException", token
    short = doc({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        aa.validate_policy(policyDocument=short, policyType="IDENTITY_POLICY", nextToken=first["nextToken"])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    pages = list(aa.get_paginator("validate_policy").paginate(policyDocument=BAD, policyType="IDENTITY_POLICY",
                                                               PaginationConfig={"PageSize": 1}))
    everything = [f["issueCode"] for p in pages for f in p["findings"]]
    assert len(everything) == len(aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY")["findings"])


def test_validate_policy_resource_types(server):
    aa = server.client("accessanalyzer")
    trust = doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"})
    r = aa.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY",
                           validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument")
    assert r["findings"] == []
    with_resource = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                         "Action": "sts:AssumeRole", "Resource": "*"})
    r = aa.validate_policy(policyDocument=with_resource, policyType="RESOURCE_POLICY",
                           validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument")
    assert [f["issueCode"] for f in r["findings"]] == ["ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE"]
    bucket = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                  "Action": "kms:Decrypt", "Resource": "arn:aws:s3:::b/*"})
    r = aa.validate_policy(policyDocument=bucket, policyType="RESOURCE_POLICY", validatePolicyResourceType="AWS::S3::Bucket")
    assert "UNSUPPORTED_ACTION_IN_POLICY" in {f["issueCode"] for f in r["findings"]}
    rcp = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
               "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}})
    assert aa.validate_policy(policyDocument=rcp, policyType="RESOURCE_CONTROL_POLICY")["findings"] == []
    not_rcp = doc({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "NotAction": "s3:GetObject", "Resource": "*"})
    codes = {f["issueCode"] for f in aa.validate_policy(policyDocument=not_rcp, policyType="RESOURCE_CONTROL_POLICY")["findings"]}
    assert {"RCP_SYNTAX_ERROR_PRINCIPAL", "RCP_SYNTAX_ERROR_NOTACTION"} <= codes
    with pytest.raises(ClientError) as e:
        aa.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY", validatePolicyResourceType="AWS::KMS::Key")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["fieldList"][0]["name"] == "validatePolicyResourceType"


def test_validate_policy_reports_a_refusal_and_goes_on(server):
    aa = server.client("accessanalyzer")
    no_version = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "*"}]})
    codes = {f["issueCode"] for f in aa.validate_policy(policyDocument=no_version, policyType="IDENTITY_POLICY")["findings"]}
    assert {"MISSING_VERSION", "INVALID_ACTION"} <= codes


def test_validate_policy_errors(server):
    aa = server.client("accessanalyzer")
    with pytest.raises(ClientError) as e:
        aa.validate_policy(policyDocument="{}", policyType="NOPE")
    err = e.value.response
    assert err["Error"]["Code"] == "ValidationException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["reason"] == "fieldValidationFailed" and err["fieldList"][0]["name"] == "policyType"
    with pytest.raises(ClientError) as e:
        aa.validate_policy(policyDocument="{}", policyType="IDENTITY_POLICY", maxResults=1000)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ParamValidationError):
        aa.validate_policy(policyType="IDENTITY_POLICY")
    # Not JSON at all: a finding, not an error, as on AWS.
    r = aa.validate_policy(policyDocument="{", policyType="IDENTITY_POLICY")
    assert r["findings"][0]["issueCode"] == "JSON_SYNTAX_ERROR"


def test_validate_policy_needs_permission(server):
    iam = server.client("iam")
    name = f"aa-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    keys = iam.create_access_key(UserName=name)["AccessKey"]
    aa = server.client("accessanalyzer", access_key=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "access-analyzer:ValidatePolicy", "Resource": "*"}))
    assert aa.validate_policy(policyDocument=BAD, policyType="IDENTITY_POLICY")["findings"]


def test_aws_cli_validate_policy(server, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(BAD)
    r = server.cli("accessanalyzer", "validate-policy", "--policy-document", f"file://{path}", "--policy-type", "IDENTITY_POLICY")
    assert "INVALID_ACTION" in {f["issueCode"] for f in r["findings"]}
    failed = server.cli("accessanalyzer", "validate-policy", "--policy-document", "{}", "--policy-type", "BOGUS", check=False)
    assert failed.returncode != 0 and "ValidationException" in failed.stderr
