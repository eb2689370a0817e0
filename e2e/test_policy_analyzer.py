"""The IAM policy analyzer on a real account: mlguard's IAM, built with boto3
and dumped with the aws CLI (`get-account-authorization-details`), then
`mlguard policy escalation`, `validate` and `generate` (from the server's own
audit log), as a user runs them."""

import json
import subprocess
import time
import uuid

from conftest import binary


def policy(*args, check_code=None):
    proc = subprocess.run([binary(), "policy", *map(str, args)], capture_output=True, text=True, timeout=120)
    if check_code is not None:
        assert proc.returncode == check_code, (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_escalation_through_a_training_job_on_a_dumped_account(https_server, tmp_path):
    iam = https_server.client("iam")
    tag = uuid.uuid4().hex[:8]
    admin = iam.create_policy(PolicyName=f"admin-{tag}", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))["Policy"]["Arn"]
    role = iam.create_role(RoleName=f"sm-exec-{tag}", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=f"sm-exec-{tag}", PolicyArn=admin)
    iam.create_user(UserName=f"scientist-{tag}")
    iam.put_user_policy(UserName=f"scientist-{tag}", PolicyName="train", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:PassRole", "sagemaker:CreateTrainingJob"], "Resource": "*"}))
    # A look-alike: PassRole only to one limited role, only for SageMaker.
    limited = iam.create_role(RoleName=f"sm-limited-{tag}", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.create_user(UserName=f"careful-{tag}")
    iam.put_user_policy(UserName=f"careful-{tag}", PolicyName="train", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": limited,
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"}))

    details = https_server.cli("iam", "get-account-authorization-details")
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(details))
    out = policy("escalation", path, "--format", "json", check_code=1)
    report = json.loads(out.stdout)
    by = {f["principal"].rsplit("/", 1)[-1]: f for f in report["findings"] if f["kind"] == "PRIVILEGE_ESCALATION"}
    f = by[f"scientist-{tag}"]
    assert f["gains"] == ["administrator"] and f["severity"] == "HIGH"
    assert f["path"][0]["to"] == role
    assert "sagemaker:CreateTrainingJob" in f["path"][0]["actions"]
    assert f"careful-{tag}" not in by
    table = policy("escalation", path, check_code=1).stdout
    assert "PassRole to sagemaker.amazonaws.com" in table


def test_validate_files_with_every_format(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}))
    bad = tmp_path / "bad.json"
    bad.write_text(doc({"Effect": "Allow", "Action": ["s3:GetObjekt", "iam:PassRole"], "Resource": "*"}))
    out = policy("validate", good, bad, "--format", "json", check_code=1)
    files = {pathlib_name(r["file"]): r["findings"] for r in json.loads(out.stdout)}
    assert files["good.json"] == []
    codes = {f["issueCode"] for f in files["bad.json"]}
    assert {"INVALID_ACTION", "PASS_ROLE_WITH_STAR_IN_RESOURCE"} <= codes
    invalid = next(f for f in files["bad.json"] if f["issueCode"] == "INVALID_ACTION")
    assert "Did you mean s3:GetObject?" in invalid["findingDetails"]
    assert invalid["locations"][0]["span"]["start"]["line"] == 1
    assert invalid["learnMoreLink"].startswith("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#")
    policy("validate", good, check_code=0)
    sarif = json.loads(policy("validate", bad, "--format", "sarif", "--fail-on", "never", check_code=0).stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"INVALID_ACTION"}
    (tmp_path / "notjson.json").write_text("{")
    out = policy("validate", tmp_path / "notjson.json", "--format", "json", check_code=1)
    assert json.loads(out.stdout)[0]["findings"][0]["issueCode"] == "JSON_SYNTAX_ERROR"
    policy("validate", tmp_path / "missing.json", check_code=2)


def pathlib_name(p):
    return p.rsplit("/", 1)[-1]


def test_generate_from_the_servers_audit_log(fresh_server, tmp_path):
    server = fresh_server()
    iam = server.client("iam")
    iam.create_user(UserName="trainer")
    current = doc({"Effect": "Allow", "Action": ["kms:*", "s3:GetObject"], "Resource": "*"})
    iam.put_user_policy(UserName="trainer", PolicyName="p", PolicyDocument=current)
    keys = iam.create_access_key(UserName="trainer")["AccessKey"]
    arn = iam.get_user(UserName="trainer")["User"]["Arn"]
    key_id = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    kms = server.client("kms", access_key=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    try:
        server.client("iam", access_key=keys["AccessKeyId"], secret=keys["SecretAccessKey"]).create_user(UserName="nope")
    except Exception:
        pass
    server.stop()  # flushes the log
    cur = tmp_path / "current.json"
    cur.write_text(current)
    out = policy("generate", "--audit", server.data_dir, "--principal", arn, "--current-policy", cur, "--json", check_code=0)
    g = json.loads(out.stdout)
    text = json.dumps(g["policy"])
    assert "kms:Encrypt" in text and "kms:Decrypt" in text and key_id in text, text
    assert "iam:CreateUser" in g["denied"]
    assert "s3" in g["unusedServices"]
    assert "kms:ScheduleKeyDeletion" in g["unusedActions"]
    # The generated policy validates without errors.
    gen = tmp_path / "generated.json"
    gen.write_text(json.dumps(g["policy"]))
    policy("validate", gen, check_code=0)


def test_escalation_warnings_show_in_table_and_json(tmp_path):
    """An attached policy missing from `Policies` is named, in the table and
    in JSON; AWS's AdministratorAccess stands in for itself."""
    details = {
        "UserDetailList": [
            {"UserName": "ops", "Arn": "arn:aws:iam::111122223333:user/ops", "GroupList": [], "UserPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "gone", "PolicyArn": "arn:aws:iam::111122223333:policy/gone"}]},
            {"UserName": "root-ish", "Arn": "arn:aws:iam::111122223333:user/root-ish", "GroupList": [], "UserPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]},
        ],
        "GroupDetailList": [], "RoleDetailList": [],
    }
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(details))
    report = json.loads(policy("escalation", path, "--format", "json", check_code=0).stdout)
    assert report["administrators"] == ["arn:aws:iam::111122223333:user/root-ish"]
    assert any("user/ops" in w and "policy/gone" in w for w in report["warnings"]), report["warnings"]
    table = policy("escalation", path, check_code=0).stdout
    assert "2 warnings" in table and "WARNING arn:aws:iam::111122223333:user/ops" in table, table


def test_validate_a_trust_policy_and_an_rcp(tmp_path):
    trust = tmp_path / "trust.json"
    trust.write_text(doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    policy("validate", trust, "--policy-type", "resource", "--resource-type", "AWS::IAM::AssumeRolePolicyDocument", check_code=0)
    # As a generic resource policy it lacks a Resource.
    policy("validate", trust, "--policy-type", "resource", check_code=1)
    policy("validate", trust, "--policy-type", "identity", "--resource-type", "AWS::S3::Bucket", check_code=2)
    rcp = tmp_path / "rcp.json"
    rcp.write_text(doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}))
    out = policy("validate", rcp, "--policy-type", "rcp", "--format", "json", "--fail-on", "suggestion", check_code=0)
    assert json.loads(out.stdout)[0]["findings"] == []
