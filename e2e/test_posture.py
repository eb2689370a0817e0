"""`mlguard posture check` as a user runs it: the seed document's scenario
table as end-to-end cases, over configurations a real `mlguard serve` produced
(IAM authorization details, KMS key metadata and rotation status, Secrets
Manager descriptions dumped with the aws CLI) and over SageMaker request JSON,
Estimator arguments, bucket policies and a VPC topology written as users write
them; and the output formats CI reads (JSON, SARIF, JUnit) with their exit
codes."""

import json
import subprocess
import uuid
import xml.etree.ElementTree as ET

from conftest import binary

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SAGEMAKER_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def posture(*args, code=None):
    proc = subprocess.run([binary(), "posture", *map(str, args)], capture_output=True, text=True, timeout=120)
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def check_json(*paths, profile=None, code=None):
    args = ["check", *paths, "--format", "json"]
    if profile:
        args += ["--profile", profile]
    return json.loads(posture(*args, code=code).stdout)


def failed(report, resource_part=""):
    return {(f["check"], f["resource"]) for f in report["findings"]
            if f["suppressed"] is None and resource_part in f["resource"]}


def write(path, value):
    path.write_text(json.dumps(value, indent=1))
    return path


def training_job(name, role, **overrides):
    job = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1", "TrainingInputMode": "File"},
        "RoleArn": role,
        "OutputDataConfig": {"S3OutputPath": "s3://model-artifacts/out/", "KmsKeyId": KEY},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50, "VolumeKmsKeyId": KEY},
        "VpcConfig": {"SecurityGroupIds": ["sg-0training"], "Subnets": ["subnet-0private"]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "EnableNetworkIsolation": True,
    }
    job.update(overrides)
    return job


def test_secure_training_on_sensitive_data(https_server, tmp_path):
    """"Secure training on sensitive data" -> VPC mode + Encryption (KMS) + IAM
    role with least privilege: the role built in mlguard's IAM and dumped with
    the aws CLI, the job as boto3 would send it."""
    iam = https_server.client("iam")
    tag = uuid.uuid4().hex[:8]
    lean = iam.create_role(RoleName=f"train-lean-{tag}", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"train-lean-{tag}", PolicyName="data", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::training-data", "arn:aws:s3:::training-data/*"]},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:*:*:log-group:/aws/sagemaker/*"}]}))
    good = tmp_path / "good"
    good.mkdir()
    write(good / "auth.json", https_server.cli("iam", "get-account-authorization-details"))
    write(good / "job.json", training_job(f"secure-{tag}", lean))
    report = check_json(good, profile="sensitive-data-training")
    assert failed(report, tag) == set(), report["findings"]
    assert "sagemaker-job-vpc" in report["summary"]["checks"]

    broad = iam.create_role(RoleName=f"train-broad-{tag}", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"train-broad-{tag}", PolicyName="data", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    bad = tmp_path / "bad"
    bad.mkdir()
    write(bad / "auth.json", https_server.cli("iam", "get-account-authorization-details"))
    job = training_job(f"quick-{tag}", broad, EnableNetworkIsolation=False)
    del job["VpcConfig"]
    del job["ResourceConfig"]["VolumeKmsKeyId"]
    write(bad / "job.json", job)
    report = check_json(bad, profile="sensitive-data-training", code=1)
    assert failed(report, tag) == {
        ("sagemaker-job-vpc", f"quick-{tag}"),
        ("sagemaker-job-network-isolation", f"quick-{tag}"),
        ("sagemaker-job-volume-kms", f"quick-{tag}"),
        ("iam-execution-role-wildcard", f"train-broad-{tag}"),
        ("iam-execution-role-unscoped", f"train-broad-{tag}"),
    }
    wildcard = next(f for f in report["findings"] if f["resource"] == f"train-broad-{tag}")
    assert '"s3:*"' in wildcard["message"] and wildcard["severity"] == "high"


def test_training_job_cant_access_s3_in_vpc(tmp_path):
    """"Training job can't access S3 in VPC" -> Add S3 VPC Gateway Endpoint."""
    topo = tmp_path / "net"
    topo.mkdir()
    (topo / "vpc.yaml").write_text("""
region: us-east-1
vpcs: [{id: vpc-0ml, cidr: 10.0.0.0/16}]
subnets: [{id: subnet-0private, vpc: vpc-0ml, cidr: 10.0.1.0/24}]
route_tables: [{id: rtb-0private, vpc: vpc-0ml, subnets: [subnet-0private]}]
security_groups: [{id: sg-0training, vpc: vpc-0ml, ingress: [{protocol: all, source: sg-0training}]}]
""")
    write(tmp_path / "job.json", training_job("stuck", "arn:aws:iam::111122223333:role/t"))
    report = check_json(tmp_path, code=1)
    f = next(f for f in report["findings"] if f["check"] == "sagemaker-job-reachability")
    assert "subnet-0private" in f["message"] and "S3" in f["message"]
    # The fix from the seed: a gateway endpoint on the subnet's route table.
    with open(topo / "vpc.yaml", "a") as y:
        y.write("endpoints: [{id: vpce-0s3, vpc: vpc-0ml, type: gateway, service: s3, route_tables: [rtb-0private]}]\n")
    report = check_json(tmp_path, code=0)
    assert not any(f["check"] == "sagemaker-job-reachability" for f in report["findings"])


def test_encrypt_model_artifacts_and_distributed_traffic(tmp_path):
    """"Encrypt model artifacts" -> output_kms_key; "Encrypt distributed
    training communication" -> inter-container encryption: the seed's
    Estimator arguments, and the same without them."""
    seed = {"image_uri": "my-algorithm", "role": "arn:aws:iam::111122223333:role/t", "instance_type": "ml.m5.xlarge",
            "instance_count": 2, "volume_kms_key": KEY, "output_kms_key": KEY,
            "subnets": ["subnet-abc123", "subnet-def456"], "security_group_ids": ["sg-xyz789"],
            "enable_inter_container_traffic_encryption": True, "enable_network_isolation": True}
    write(tmp_path / "seed.json", seed)
    assert failed(check_json(tmp_path / "seed.json", code=0)) == set()
    careless = {k: v for k, v in seed.items() if k not in ("output_kms_key", "enable_inter_container_traffic_encryption")}
    write(tmp_path / "careless.json", careless)
    assert failed(check_json(tmp_path / "careless.json", code=1)) == {
        ("sagemaker-job-output-kms", "careless"), ("sagemaker-job-intercontainer-encryption", "careless")}


def test_rotate_keys_and_secrets_from_a_real_server(https_server, tmp_path):
    """"Rotate encryption keys annually" -> Enable KMS automatic rotation, and
    Secrets Manager rotation: describe-key, get-key-rotation-status and
    describe-secret from mlguard serve, before and after the fix."""
    tag = uuid.uuid4().hex[:8]
    key = https_server.cli("kms", "create-key", "--description", f"posture-{tag}")["KeyMetadata"]["KeyId"]
    write(tmp_path / f"{key}.describe.json", https_server.cli("kms", "describe-key", "--key-id", key))
    write(tmp_path / f"{key}.rotation.json", https_server.cli("kms", "get-key-rotation-status", "--key-id", key))
    write(tmp_path / f"{key}.policy.json", https_server.cli("kms", "get-key-policy", "--key-id", key, "--policy-name", "default"))
    https_server.cli("secretsmanager", "create-secret", "--name", f"db-{tag}", "--secret-string", "s3cr3t-value")
    write(tmp_path / "secret.json", https_server.cli("secretsmanager", "describe-secret", "--secret-id", f"db-{tag}"))
    report = check_json(tmp_path, code=1)
    assert {f["check"] for f in report["findings"]} == {"kms-key-rotation", "secretsmanager-rotation"}
    assert "s3cr3t-value" not in json.dumps(report)
    # The default key policy names the account's root only: not public.
    assert report["summary"]["results"] == 3

    https_server.cli("kms", "enable-key-rotation", "--key-id", key)
    write(tmp_path / f"{key}.rotation.json", https_server.cli("kms", "get-key-rotation-status", "--key-id", key))
    report = check_json(tmp_path, code=1)
    assert {f["check"] for f in report["findings"]} == {"secretsmanager-rotation"}


def test_privileged_users_need_mfa(https_server, tmp_path):
    """"Secure privileged user access" -> Enable MFA, enforced with the seed's
    policy (deny if MFA not present)."""
    iam = https_server.client("iam")
    tag = uuid.uuid4().hex[:8]
    admin = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    enforce = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                          "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]})
    for name, policies in ((f"admin-open-{tag}", [admin]), (f"admin-mfa-{tag}", [admin, enforce])):
        iam.create_user(UserName=name)
        for i, p in enumerate(policies):
            iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=p)
    write(tmp_path / "auth.json", https_server.cli("iam", "get-account-authorization-details"))
    report = check_json(tmp_path, code=1)
    mfa = {f["resource"].rsplit("/", 1)[-1] for f in report["findings"] if f["check"] == "iam-privileged-user-mfa"}
    assert f"admin-open-{tag}" in mfa and f"admin-mfa-{tag}" not in mfa


def test_https_for_s3_and_hipaa_audit_logging(tmp_path):
    """"Enforce HTTPS for S3 access" (the seed's policy covers objects only, so
    ListBucket over HTTP is still allowed) and "Comply with HIPAA" (audit
    logging: a trail must be logging)."""
    seed_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    write(tmp_path / "my-bucket.policy.json", {"Policy": json.dumps(seed_policy)})
    write(tmp_path / "trails.json", {"trailList": []})
    report = check_json(tmp_path, profile="hipaa", code=1)
    assert failed(report) == {("s3-bucket-secure-transport", "my-bucket"), ("cloudtrail-enabled", "account")}
    assert "s3:ListBucket" in next(f["message"] for f in report["findings"] if f["resource"] == "my-bucket")
    seed_policy["Statement"][0]["Resource"] = ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
    write(tmp_path / "my-bucket.policy.json", {"Policy": json.dumps(seed_policy)})
    write(tmp_path / "trails.json", {"trailList": [{"Name": "all", "IsMultiRegionTrail": True, "HomeRegion": "us-east-1",
                                                 "LogFileValidationEnabled": True, "KmsKeyId": KEY}]})
    # describe-trails does not say whether the trail logs; get-trail-status does.
    assert check_json(tmp_path, profile="hipaa")["undetermined"][0]["check"] == "cloudtrail-enabled"
    write(tmp_path / "all.status.json", {"IsLogging": True})
    assert failed(check_json(tmp_path, profile="hipaa", code=0)) == set()


def test_output_formats_exit_codes_and_suppressions(tmp_path):
    nb = write(tmp_path / "nb.json", {"NotebookInstanceName": "scratch", "InstanceType": "ml.t3.medium",
                                      "RoleArn": "arn:aws:iam::111122223333:role/nb"})
    table = posture("check", nb, code=1).stdout
    assert "sagemaker-notebook-direct-internet" in table and "fix: Set DirectInternetAccess: Disabled" in table
    # Only high and above gate: direct internet access is high.
    posture("check", nb, "--fail-on", "high", code=1)
    posture("check", nb, "--fail-on", "critical", code=0)
    posture("check", nb, "--fail-on", "none", code=0)

    sarif = json.loads(posture("check", nb, "--format", "sarif", code=1).stdout)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} <= rules
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("nb.json")

    suites = ET.fromstring(posture("check", nb, "--format", "junit", code=1).stdout)
    assert suites.tag == "testsuites" and int(suites.get("failures")) == 5
    failing = {s.get("name") for s in suites if int(s.get("failures")) > 0}
    assert failing == {"sagemaker-notebook-direct-internet", "sagemaker-notebook-root-access",
                       "sagemaker-notebook-vpc", "sagemaker-notebook-kms", "sagemaker-notebook-imdsv2"}

    config = tmp_path / "posture.yaml"
    config.write_text("suppressions:\n"
                      "  - {check: sagemaker-notebook-root-access, resource: scratch, reason: sandbox (SEC-142)}\n"
                      "  - {check: sagemaker-notebook-kms, reason: no data at rest on scratch notebooks}\n")
    report = json.loads(posture("check", nb, "--format", "json", "--config", config, code=1).stdout)
    assert report["summary"]["suppressed"] == 2 and report["summary"]["failed"] == 3
    sup = next(f for f in report["findings"] if f["check"] == "sagemaker-notebook-root-access")
    assert sup["suppressed"] == {"reason": "sandbox (SEC-142)"}
    config.write_text("suppressions:\n  - {check: sagemaker-notebook-root-access}\n")
    assert "reason" in posture("check", nb, "--config", config, code=2).stderr

    # Unusable input: named, exit 2, and the rest still reported.
    (tmp_path / "broken.json").write_text("{\"NotebookInstanceName\": ")
    proc = posture("check", nb, tmp_path / "broken.json", "--format", "json", code=2)
    assert "broken.json" in proc.stderr and json.loads(proc.stdout)["summary"]["failed"] == 5
    posture("check", tmp_path / "nope.json", code=2)
    posture("check", nb, "--profile", "sox", code=2)

    listing = json.loads(posture("list", "--format", "json", code=0).stdout)
    assert {p["name"] for p in listing["profiles"]} == {"all", "sensitive-data-training", "hipaa", "pci"}
    assert len(listing["checks"]) == 34
