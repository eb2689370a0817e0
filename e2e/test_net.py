"""`mlguard net` on a network recorded live: a moto server (EC2 API) is built up
and dumped through the aws CLI by crates/mlguard-net/tests/data/moto/record.sh,
exactly as a user dumps a real account, and the CLI answers questions about it.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT, binary

RECORD = ROOT / "crates" / "mlguard-net" / "tests" / "data" / "moto" / "record.sh"


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    out = tmp_path_factory.mktemp("net")
    # The same Python (and its aws CLI and moto) as the tests run under.
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(RECORD), str(out)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    files = sorted(p.name for p in out.glob("*.json"))
    assert "route-tables.json" in files and "network-interfaces.json" in files, files
    return out


def net(*args, check_code=None):
    proc = subprocess.run([binary(), "net", *args], capture_output=True, text=True, timeout=120)
    if check_code is not None:
        assert proc.returncode == check_code, (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def reach_json(topology, *args):
    proc = net("reach", "--topology", str(topology), "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_training_job_reaches_s3_through_the_gateway_endpoint(topology):
    code, a = reach_json(topology, "--from", "training", "--security-groups", "training-sg", "--to", "s3", "--port", "443")
    assert code == 0 and a["NetworkPathFound"] is True
    ids = [c["Component"]["Id"] for c in a["ForwardPathComponents"]]
    assert any(i.startswith("vpce-") for i in ids), ids
    assert a["ReturnPathComponents"], a
    assert a["Explanations"] == []


def test_acl_blocks_plain_http_with_the_rule_and_a_fix(topology):
    code, a = reach_json(topology, "--from", "training", "--security-groups", "training-sg",
                         "--to", "203.0.113.10", "--port", "80")
    assert code == 1 and a["NetworkPathFound"] is False
    e = a["Explanations"][0]
    assert e["ExplanationCode"] == "SUBNET_ACL_RESTRICTION" and e["Direction"] == "egress"
    assert e["Component"]["Id"].startswith("acl-")
    assert "outbound rule" in e["mlguardFix"]


def test_logs_endpoint_without_private_dns_is_bypassed(topology):
    code, a = reach_json(topology, "--from", "training", "--security-groups", "training-sg", "--to", "logs", "--port", "443")
    assert code == 0
    assert any(w["ExplanationCode"] == "VPCE_PRIVATE_DNS_DISABLED" for w in a["mlguardWarnings"])
    assert any(c["Component"]["Id"].startswith("nat-") for c in a["ForwardPathComponents"])


def test_table_and_sarif_output(topology):
    proc = net("reach", "--topology", str(topology), "--from", "training", "--security-groups", "training-sg",
               "--to", "203.0.113.10", "--port", "80", check_code=1)
    assert proc.stdout.startswith("NOT REACHABLE") and "blocked by SUBNET_ACL_RESTRICTION" in proc.stdout
    # moto's service interfaces sit outside their subnets: set aside with a warning.
    assert "outside its subnet" in proc.stderr
    proc = net("reach", "--topology", str(topology), "--format", "sarif", "--from", "training",
               "--security-groups", "training-sg", "--to", "203.0.113.10", "--port", "80", check_code=1)
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "SUBNET_ACL_RESTRICTION"


def test_sagemaker_check_passes_on_the_recorded_network(topology):
    proc = net("sagemaker", "--topology", str(topology), "--subnets", "training", "--security-groups", "training-sg",
               "--distributed", "--format", "json", check_code=0)
    report = json.loads(proc.stdout)
    got = {r["requirement"]: r["via"] for r in report["requirements"] if r["requirement"] != "distributed-training"}
    assert got["s3"] == "endpoint" and got["sagemaker.api"] == "endpoint" and got["logs"] == "nat", got


def test_sagemaker_check_fails_from_the_public_subnet_with_the_seed_message(topology):
    # The public subnet routes to the internet gateway, but SageMaker's interfaces get no public address.
    proc = net("sagemaker", "--topology", str(topology), "--subnets", "public", "--security-groups", "training-sg",
               "--services", "s3", check_code=1)
    assert "Access denied to S3" in proc.stdout and "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS" in proc.stdout


def test_exposure_lists_the_web_interface(topology):
    proc = net("exposure", "--topology", str(topology), "--format", "json", check_code=0)
    ports = sorted(x["ports"] for x in json.loads(proc.stdout)["exposures"])
    assert ports == ["22", "443"]
    net("exposure", "--topology", str(topology), "--fail-on", "high", check_code=1)


def test_flow_log_rejection_is_explained(topology, tmp_path):
    interfaces = json.loads((topology / "network-interfaces.json").read_text())["NetworkInterfaces"]
    trainer = next(i for i in interfaces if any(t["Value"] == "trainer-eni" for t in i.get("TagSet", [])))
    log = tmp_path / "flow.log"
    log.write_text(
        f"2 123456789012 {trainer['NetworkInterfaceId']} {trainer['PrivateIpAddress']} 203.0.113.10 41000 80 6 2 120 "
        "1700000000 1700000060 REJECT OK\n")
    proc = net("flowlogs", "--topology", str(topology), str(log), "--format", "json", check_code=1)
    r = json.loads(proc.stdout)["files"][0]["report"]
    assert r["rejected"] == 1
    assert r["rejections"][0]["component"].startswith("acl-")
    assert "denies outbound tcp port 80" in r["rejections"][0]["reason"]


def test_bad_input_is_refused_with_the_file_named(tmp_path):
    (tmp_path / "vpcs.json").write_text('{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/33"}]}')
    proc = net("reach", "--topology", str(tmp_path), "--from", "x", "--to", "s3", "--port", "443", check_code=2)
    assert "vpcs.json" in proc.stderr and "vpc-1" in proc.stderr and "10.0.0.0/33" in proc.stderr
    (tmp_path / "vpcs.json").write_text('{"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-9", "CidrBlock": "10.0.0.0/24"}]}')
    proc = net("exposure", "--topology", str(tmp_path), check_code=2)
    assert "vpcs.json" in proc.stderr and "subnet-1" in proc.stderr and "vpc-9" in proc.stderr
    (tmp_path / "vpcs.json").write_text("not json")
    proc = net("exposure", "--topology", str(tmp_path), check_code=2)
    assert "not JSON" in proc.stderr
    (tmp_path / "vpcs.json").write_text('{"Whatever": []}')
    proc = net("exposure", "--topology", str(tmp_path), check_code=2)
    assert "no key this analyzer reads" in proc.stderr


def test_a_malformed_address_is_refused_not_taken_for_a_service(topology):
    proc = net("reach", "--topology", str(topology), "--from", "training", "--to", "999.1.1.1", "--port", "443",
               check_code=2)
    assert "not an IPv4 address" in proc.stderr
