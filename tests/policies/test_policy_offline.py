"""The offline evaluator and `slipstack policy`: verdicts, exemptions, enforcement per environment, bad input."""

import json
from pathlib import Path

import pytest

from policies.catalog import rule_by_id, rule_ids
from policies.config import parse_policy_config
from policies.errors import PlanFileError, PolicyConfigError
from policies.offline import evaluate_plan, load_plan
from policies.rule import UNKNOWN
from slipstack.cli import main

MODEL = "urn:pulumi:prod::slipstack::aws:sagemaker/model:Model::m"


def plan(environment: str = "prod", **model_inputs: object) -> dict:
    inputs = {"enableNetworkIsolation": False, **model_inputs}
    return {
        "format_version": 1,
        "stack": environment,
        "project": "slipstack",
        "environment": environment,
        "targets": ["aws"],
        "outputs": {},
        "resources": [
            {
                "urn": MODEL,
                "type": "aws:sagemaker/model:Model",
                "name": "m",
                "parent": None,
                "inputs": inputs,
                "dependencies": [],
            }
        ],
    }


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The real entry point, in-process: exit code and stderr as a user sees them."""
    monkeypatch.setattr("sys.argv", ["slipstack", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    run_cli.stdout = captured.out  # type: ignore[attr-defined]  # the verdict table, for tests that read it
    return int(exited.value.code or 0), captured.err


def verdicts(report, policy: str) -> list[tuple[str, str]]:
    return [(v.enforcement, v.message) for v in report.violations if v.policy == policy]


def config(raw: dict):
    return parse_policy_config(raw, "test.json", rule_ids())


def test_mp_rule_is_mandatory_in_prod_advisory_in_dev() -> None:
    assert verdicts(evaluate_plan(plan("prod")), "SM-MODEL-NETISO") == [
        ("mandatory", "enableNetworkIsolation is False, must be true")
    ]
    assert verdicts(evaluate_plan(plan("dev")), "SM-MODEL-NETISO") == [
        ("advisory", "enableNetworkIsolation is False, must be true")
    ]


def test_unknown_value_fails_closed() -> None:
    report = evaluate_plan(plan(enableNetworkIsolation=UNKNOWN))
    [(level, message)] = verdicts(report, "SM-MODEL-NETISO")
    assert level == "mandatory" and message.startswith("could not decide: enableNetworkIsolation is unknown")
    assert not report.passed


def test_config_exemption_with_reason_waives() -> None:
    report = evaluate_plan(
        plan(),
        config(
            {
                "SM-MODEL-NETISO": {
                    "environment": "prod",
                    "exemptions": [{"resource": "m", "reason": "needs PyPI at load"}],
                }
            }
        ),
    )
    assert verdicts(report, "SM-MODEL-NETISO") == []
    assert [(w.policy, w.reason) for w in report.waived] == [("SM-MODEL-NETISO", "needs PyPI at load")]


def test_exemption_match_waives_only_that_finding() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:*", "sagemaker:Get*"], "Resource": "arn:b"}
    document = plan()
    document["resources"].append(
        {
            "urn": "urn:p",
            "type": "aws:iam/policy:Policy",
            "name": "pol",
            "parent": None,
            "inputs": {"policy": json.dumps({"Statement": [statement]})},
            "dependencies": [],
        }
    )
    report = evaluate_plan(
        document,
        config(
            {
                "IAM-WILDCARD-ACTION": {
                    "exemptions": [{"resource": "pol", "match": "s3:*", "reason": "bucket admin job"}]
                }
            }
        ),
    )
    assert verdicts(report, "IAM-WILDCARD-ACTION") == [
        ("mandatory", "policy.Statement[0] allows wildcard action sagemaker:Get*")
    ]


def test_resource_tag_exemption_and_empty_reason() -> None:
    waived = evaluate_plan(plan(tags={"slipstack:exempt:SM-MODEL-NETISO": "downloads a tokenizer"}))
    assert verdicts(waived, "SM-MODEL-NETISO") == []
    empty = evaluate_plan(plan(tags={"slipstack:exempt:SM-MODEL-NETISO": " "}))
    assert verdicts(empty, "SM-MODEL-NETISO") == [
        ("mandatory", "exemption slipstack:exempt:SM-MODEL-NETISO has an empty reason; state why or remove it"),
        ("mandatory", "enableNetworkIsolation is False, must be true"),
    ]


def test_config_errors() -> None:
    with pytest.raises(PolicyConfigError, match="unknown rule id 'SM-MODEL-NETISOO'; did you mean SM-MODEL-NETISO"):
        config({"SM-MODEL-NETISOO": "advisory"})
    with pytest.raises(PolicyConfigError, match=r"exemptions\.0\.reason: is missing; every exemption needs a reason"):
        config({"S3-PAB": {"exemptions": [{"resource": "b"}]}})
    with pytest.raises(PolicyConfigError, match=r"exemptions\.0\.reason: the reason is empty"):
        config({"S3-PAB": {"exemptions": [{"resource": "b", "reason": "  "}]}})
    with pytest.raises(PolicyConfigError, match="is the policy config for 'dev' but the plan is for 'prod'"):
        evaluate_plan(plan(), config({"S3-PAB": {"environment": "dev"}}))


def test_disabled_rule_does_not_run() -> None:
    report = evaluate_plan(plan(), config({"SM-MODEL-NETISO": "disabled"}))
    assert verdicts(report, "SM-MODEL-NETISO") == []
    assert report.policies_run == len(rule_ids()) - 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"resources": []}', "not a Slipstack plan"),
        ('{"format_version": 2, "environment": "prod", "resources": []}', "format_version 2 is newer"),
        ('{"format_version": 1, "environment": "qa", "resources": []}', "environment 'qa' is not one of"),
    ],
)
def test_bad_plan_files(
    tmp_path: Path, text: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(PlanFileError, match=message):
        load_plan(path)
    code, err = run_cli(["policy", "--plan", str(path)], monkeypatch, capsys)
    assert code == 2 and err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "policy.json").exists()


def test_cli_writes_policy_json_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan()))
    code, err = run_cli(["policy", "--plan", str(path)], monkeypatch, capsys)
    assert code == 1 and "mandatory policy violation(s)" in err
    written = json.loads((tmp_path / "policy.json").read_text())
    assert written["resources_checked"] == 1 and written["policies_run"] == len(rule_ids())
    netiso = next(v for v in written["violations"] if v["policy"] == "SM-MODEL-NETISO")
    assert netiso == {
        "policy": "SM-MODEL-NETISO",
        "enforcement": "mandatory",
        "urn": MODEL,
        "type": "aws:sagemaker/model:Model",
        "message": "enableNetworkIsolation is False, must be true",
        "remediation": rule_by_id("SM-MODEL-NETISO").remediation,
    }
    # Every violation tells how to fix it, in the file and on the terminal.
    assert all(v["remediation"] for v in written["violations"])
    assert "fix: " + rule_by_id("SM-MODEL-NETISO").remediation.split()[0] in run_cli.stdout


def test_cli_exit_0_in_dev_with_only_advisories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = plan(
        "dev",
        enableNetworkIsolation=True,
        tags={"slipstack:artifact-sha256": "a" * 64},
        vpcConfig={"subnets": ["a", "b"], "securityGroupIds": ["sg"]},
        executionRoleArn="arn:r",
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    out = tmp_path / "out" / "verdict.json"
    assert run_cli(["policy", "--plan", str(path), "--out", str(out)], monkeypatch, capsys)[0] == 1
    # The only mandatory rule left is SM-EXEC-ROLE (role not in the stack): exempt it in config with a reason.
    cfg = tmp_path / "dev.json"
    cfg.write_text(json.dumps({"SM-EXEC-ROLE": {"exemptions": [{"resource": "m", "reason": "shared platform role"}]}}))
    code, err = run_cli(["policy", "--plan", str(path), "--config", str(cfg), "--out", str(out)], monkeypatch, capsys)
    assert code == 0, err
    assert json.loads(out.read_text())["exempted"][0]["reason"] == "shared platform role"


def test_unused_exemptions_are_reported_by_source() -> None:
    document = plan(enableNetworkIsolation=True)
    # A resource that carries an exemption for a rule it passes, and one for a rule that does not exist.
    document["resources"][0]["inputs"]["tags"] = {
        "slipstack:exempt:SM-MODEL-NETISO": "pip at load time",
        "slipstack:exempt:SM-MODEL-NETIS0": "typo in the rule id",
    }
    report = evaluate_plan(
        document,
        config({"SM-MODEL-NETISO": {"environment": "prod",
                                    "exemptions": [{"resource": "gone", "reason": "a deleted resource"}]}}),
    )
    assert report.waived == []
    unused = {(u.policy, u.source, u.resources) for u in report.unused_exemptions}
    assert unused == {
        ("SM-MODEL-NETISO", "config", ("gone",)),
        ("SM-MODEL-NETISO", "resource", ("m",)),
        ("SM-MODEL-NETIS0", "resource", ("m",)),
    }
    assert {u["policy"] for u in report.to_json()["unused_exemptions"]} == {"SM-MODEL-NETISO", "SM-MODEL-NETIS0"}


def test_a_used_exemption_is_not_reported_unused() -> None:
    document = plan()
    document["resources"][0]["inputs"]["tags"] = {"slipstack:exempt:SM-MODEL-NETISO": "pip at load time"}
    report = evaluate_plan(document)
    assert [(w.policy, w.source) for w in report.waived] == [("SM-MODEL-NETISO", "resource")]
    assert [u for u in report.unused_exemptions if u.source == "resource"] == []


def test_framework_exemption_covers_only_its_component() -> None:
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    inputs = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    document = plan(enableNetworkIsolation=True)
    inside = f"urn:pulumi:prod::slipstack::slipstack:aws:AccessLogBucket${sse}::logs-encryption"
    outside = f"urn:pulumi:prod::slipstack::slipstack:aws:ModelArtifactBucket${sse}::data-encryption"
    for urn in (inside, outside):
        document["resources"].append({"urn": urn, "type": sse, "name": urn.rsplit("::", 1)[-1], "parent": None,
                                      "inputs": inputs, "dependencies": []})
    report = evaluate_plan(document)
    assert [(w.urn, w.source) for w in report.waived if w.policy == "S3-SSE-KMS"] == [(inside, "framework")]
    assert [v.urn for v in report.violations if v.policy == "S3-SSE-KMS"] == [outside]
