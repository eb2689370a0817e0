"""Comprehend's real-time PII operations with boto3 and the aws CLI against a real
server: entities with character offsets, labels, AWS's limits and errors, IAM
authorization, and an audit trail that never holds the text."""

import json

import botocore.exceptions
import pytest

from helpers import audit_text, error_of, unique, wait_for

TEXT = ("Hello Paul Santos. The latest statement for your credit card account "
        "4111-1111-1111-1111 was mailed to 742 Evergreen Terrace, Springfield, IL 62704. "
        "Questions? Call (555) 234-5678 or write to paul.santos@example.com.")


@pytest.fixture()
def comprehend(server):
    return server.client("comprehend")


def spans(text, entities):
    return [(e["Type"], text[e["BeginOffset"]:e["EndOffset"]]) for e in entities]


def test_detect_pii_entities(comprehend):
    r = comprehend.detect_pii_entities(Text=TEXT, LanguageCode="en")
    assert spans(TEXT, r["Entities"]) == [
        ("NAME", "Paul Santos"),
        ("CREDIT_DEBIT_NUMBER", "4111-1111-1111-1111"),
        ("ADDRESS", "742 Evergreen Terrace, Springfield, IL 62704"),
        ("PHONE", "(555) 234-5678"),
        ("EMAIL", "paul.santos@example.com"),
    ]
    for e in r["Entities"]:
        assert 0.5 <= e["Score"] <= 1.0
        assert set(e) == {"Score", "Type", "BeginOffset", "EndOffset"}
    # Spanish is served too.
    es = comprehend.detect_pii_entities(Text="Mi correo es ana@example.es", LanguageCode="es")
    assert [e["Type"] for e in es["Entities"]] == ["EMAIL"]


def test_offsets_count_characters_not_bytes(comprehend):
    text = "Grüße aus Zürich — schreiben Sie an zoë@example.de oder 203.0.113.9"
    r = comprehend.detect_pii_entities(Text=text, LanguageCode="en")
    assert spans(text, r["Entities"]) == [("IP_ADDRESS", "203.0.113.9")] or \
        spans(text, r["Entities"]) == [("EMAIL", "zoë@example.de"), ("IP_ADDRESS", "203.0.113.9")]
    ip = [e for e in r["Entities"] if e["Type"] == "IP_ADDRESS"][0]
    assert ip["EndOffset"] == len(text)


def test_hard_negatives_are_not_pii(comprehend):
    text = ("commit 3f786850e387550fdab836ed7e6dc881de23001b, request 123e4567-e89b-12d3-a456-426614174000, "
            "role arn:aws:iam::123456789012:role/training, order #100234567, accuracy 0.93 after 12 epochs")
    assert comprehend.detect_pii_entities(Text=text, LanguageCode="en")["Entities"] == []
    assert comprehend.contains_pii_entities(Text=text, LanguageCode="en")["Labels"] == []


def test_contains_pii_entities_labels(comprehend):
    r = comprehend.contains_pii_entities(Text=TEXT, LanguageCode="en")
    names = [label["Name"] for label in r["Labels"]]
    assert sorted(names) == sorted(["NAME", "CREDIT_DEBIT_NUMBER", "ADDRESS", "PHONE", "EMAIL"])
    detected = comprehend.detect_pii_entities(Text=TEXT, LanguageCode="en")["Entities"]
    best = {}
    for e in detected:
        best[e["Type"]] = max(best.get(e["Type"], 0), e["Score"])
    assert {label["Name"]: label["Score"] for label in r["Labels"]} == best


def test_limits_and_languages(comprehend):
    code, message = error_of(comprehend.detect_pii_entities, Text="a" * 100_001, LanguageCode="en")
    assert code == "TextSizeLimitExceededException"
    assert message == ("Input text size exceeds limit. Max length of request text allowed is 100000 bytes "
                       "while in this request the text size is 100001 bytes")
    # The limit is in UTF-8 bytes: 50,001 two-byte characters are over it.
    code, _ = error_of(comprehend.detect_pii_entities, Text="é" * 50_001, LanguageCode="en")
    assert code == "TextSizeLimitExceededException"
    assert comprehend.detect_pii_entities(Text="a" * 100_000, LanguageCode="en")["Entities"] == []
    code, message = error_of(comprehend.detect_pii_entities, Text="hi", LanguageCode="fr")
    assert (code, message) == ("ValidationException", "Value 'fr' at 'languageCode'failed to satisfy constraint: "
                                                      "Member must satisfy enum value set: [en, es]")
    code, message = error_of(comprehend.contains_pii_entities, Text="hi", LanguageCode="es")
    assert code == "ValidationException" and message.endswith("[en]")
    code, message = error_of(comprehend.detect_pii_entities, Text="hi", LanguageCode="xx")
    assert code == "ValidationException" and "Member must satisfy enum value set" in message
    # botocore refuses an empty text before sending it, as against AWS.
    with pytest.raises(botocore.exceptions.ParamValidationError):
        comprehend.detect_pii_entities(Text="", LanguageCode="en")


def test_authorized_by_iam(server):
    iam = server.client("iam")
    name = unique("pii-user")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    client = server.client("comprehend", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    code, message = error_of(client.detect_pii_entities, Text="x", LanguageCode="en")
    assert code == "AccessDeniedException"
    assert "comprehend:DetectPiiEntities" in message
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "comprehend:DetectPiiEntities", "Resource": "*"}],
    }))
    assert client.detect_pii_entities(Text="mail a@example.com", LanguageCode="en")["Entities"]
    code, _ = error_of(client.contains_pii_entities, Text="x", LanguageCode="en")
    assert code == "AccessDeniedException"


def test_aws_cli_and_audit_without_text(server):
    secret_text = "Card 4111 1111 1111 1111 belongs to Maria Garcia"
    r = server.cli("comprehend", "detect-pii-entities", "--text", secret_text, "--language-code", "en")
    assert [e["Type"] for e in r["Entities"]] == ["CREDIT_DEBIT_NUMBER", "NAME"]
    r = server.cli("comprehend", "contains-pii-entities", "--text", secret_text, "--language-code", "en")
    assert sorted(label["Name"] for label in r["Labels"]) == ["CREDIT_DEBIT_NUMBER", "NAME"]
    failed = server.cli("comprehend", "detect-pii-entities", "--text", "x", "--language-code", "de", check=False)
    assert failed.returncode != 0 and "ValidationException" in failed.stderr
    wait_for(lambda: "ContainsPiiEntities" in audit_text(server), timeout=10, interval=0.2)
    text = audit_text(server)
    events = [json.loads(line)["event"] for line in text.splitlines()]
    ours = [e for e in events if e["eventSource"] == "comprehend.amazonaws.com"]
    assert {e["eventName"] for e in ours} >= {"DetectPiiEntities", "ContainsPiiEntities"}
    detect = [e for e in ours if e["eventName"] == "DetectPiiEntities"][0]
    assert detect["requestParameters"] == {"text": "HIDDEN_DUE_TO_SECURITY_REASONS", "languageCode": "en"}
    assert detect["readOnly"] is True
    # Whole values: a short fragment such as "4111" can occur by chance in a hex hash.
    assert "4111 1111 1111 1111" not in text and "Maria Garcia" not in text
