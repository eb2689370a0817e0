"""A single-user rotation function written for AWS Lambda, in the form of AWS's
rotation templates: the four steps, a boto3 client built from the
SECRETS_MANAGER_ENDPOINT variable, the new version staged as AWSPENDING. Its
"database" is a JSON file named in the secret (`dbfile`), where setSecret writes the
new password and testSecret checks it. mlguard runs this file unchanged."""

import json
import os

import boto3


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    service = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    metadata = service.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.")
    if step == "createSecret":
        create_secret(service, arn, token)
    elif step == "setSecret":
        set_secret(service, arn, token)
    elif step == "testSecret":
        test_secret(service, arn, token)
    elif step == "finishSecret":
        finish_secret(service, arn, token)
    else:
        raise ValueError("Invalid step parameter")


def create_secret(service, arn, token):
    current = json.loads(service.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    try:
        service.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    except service.exceptions.ResourceNotFoundException:
        current["password"] = service.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
        service.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
                                 VersionStages=["AWSPENDING"])


def set_secret(service, arn, token):
    pending = json.loads(service.get_secret_value(SecretId=arn, VersionId=token,
                                                  VersionStage="AWSPENDING")["SecretString"])
    with open(pending["dbfile"], "w") as f:
        json.dump({"user": pending["username"], "password": pending["password"]}, f)


def test_secret(service, arn, token):
    pending = json.loads(service.get_secret_value(SecretId=arn, VersionId=token,
                                                  VersionStage="AWSPENDING")["SecretString"])
    with open(pending["dbfile"]) as f:
        if json.load(f)["password"] != pending["password"]:
            raise ValueError("the database does not accept the new password")


def finish_secret(service, arn, token):
    metadata = service.describe_secret(SecretId=arn)
    current = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            if version == token:
                return
            current = version
            break
    service.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                        RemoveFromVersionId=current)
