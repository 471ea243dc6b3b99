"""Cases for SM-CAPTURE-DRIFT: the drift job is found through its component's dependencies, never by id."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.sm_capture_drift import RULE

CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
DRIFT = "slipstack:aws:ModelDriftJob"
MACHINE = "aws:sfn/stateMachine:StateMachine"
SCHEDULE = "aws:scheduler/schedule:Schedule"
CAPTURE = {"dataCaptureConfig": {"enableCapture": True, "destinationS3Uri": "s3://b/data-capture/"}}


def stack(config_props: dict, job_depends: tuple[str, ...] = ("ep",)) -> list:
    return [
        resource(CONFIG, "cfg", config_props),
        resource(ENDPOINT, "ep", {}, deps=("cfg",)),
        resource(DRIFT, "drift", {}, deps=job_depends),
        resource("slipstack:aws:ProcessingJobSchedule", "jobs", {}, parent="urn:drift"),
        resource(MACHINE, "machine", {}, parent="urn:jobs"),
        resource(SCHEDULE, "schedule", {}, deps=("machine",), parent="urn:jobs"),
    ]


def failure(jobs: str) -> str:
    return f"data capture is off, but drift job {jobs} reads this endpoint's capture and would go silent"


def test_pass_capture_on() -> None:
    assert stack_messages(RULE, stack(CAPTURE)) == []


def test_capture_removed_while_drift_job_reads_it() -> None:
    assert stack_messages(RULE, stack({})) == [("cfg", failure("machine, schedule"))]


def test_capture_disabled_with_job_depending_on_the_config_itself() -> None:
    props = {"dataCaptureConfig": {"enableCapture": False}}
    assert stack_messages(RULE, stack(props, job_depends=("cfg",))) == [("cfg", failure("machine, schedule"))]


def test_no_drift_job_is_not_applicable() -> None:
    assert stack_messages(RULE, [resource(CONFIG, "cfg", {}), resource(ENDPOINT, "ep", {}, deps=("cfg",))]) == []


def test_job_of_another_endpoint_does_not_count() -> None:
    other = [resource(CONFIG, "other", {}), resource(ENDPOINT, "ep2", {}, deps=("other",))]
    assert stack_messages(RULE, stack(CAPTURE) + other) == []


def test_unknown() -> None:
    assert stack_messages(RULE, stack({"dataCaptureConfig": UNKNOWN})) == [("cfg", undecided("dataCaptureConfig"))]
