#!/usr/bin/env python3
"""Step Functions Local's mocks in a real `stepwise serve --mock-config FILE`, with boto3:

- StartExecution with `stateMachineArn` = `<ARN>#<TestCase>` runs that test case:
  a mocked state gets its responses in invocation order (a Throw retried, then a
  Return), while an unmocked state in the same execution goes to the real
  integration (here a nested `states:startExecution.sync:2` of another machine);
- the same machine without a case runs for real; an unknown case is refused;
- StartSyncExecution of an EXPRESS machine with a case;
- durability: the server is killed with SIGKILL while a mocked execution waits
  between two invocations of the same mocked state and restarted with the same
  mock file: the execution finishes with the second response, not the first.

Usage: mocks_test.py --stepwise PATH-TO-stepwise
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/stepwise-mocks"
failures = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    if not cond:
        failures.append(name)


MOCKS = {
    "StateMachines": {
        "order": {"TestCases": {
            "DeclinedOnce": {"Charge": "DeclineThenPay"},
        }},
        "quick": {"TestCases": {"Happy": {"Lookup": "Found"}}},
        "poll": {"TestCases": {"TwoPolls": {"Poll": "NotYetThenDone"}}},
    },
    "MockedResponses": {
        "DeclineThenPay": {
            "0": {"Throw": {"Error": "Payment.Declined", "Cause": "card declined"}},
            "1": {"Return": {"StatusCode": 200, "Payload": {"paid": 42}}},
        },
        "Found": {"0": {"Return": {"Item": {"id": {"S": "7"}}}}},
        "NotYetThenDone": {
            "0": {"Return": {"done": False}},
            "1": {"Return": {"done": True}},
        },
    },
}


class Server:
    """A `stepwise serve` with the mock file, on a data directory that outlives it."""

    def __init__(self, stepwise, tmp, mock_file):
        self.stepwise, self.tmp, self.mock_file = stepwise, tmp, mock_file
        self.proc, self.runs = None, 0

    def start(self):
        self.runs += 1
        log = open(os.path.join(self.tmp, f"serve-{self.runs}.log"), "w+")
        self.proc = subprocess.Popen(
            [self.stepwise, "serve", "--port", "0", "--data-dir", os.path.join(self.tmp, "data"),
             "--mock-config", self.mock_file],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(400):
            log.seek(0)
            text = log.read()
            if "listening on" in text:
                endpoint = text.split("listening on ")[1].split()[0]
                return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id="x", aws_secret_access_key="x",
                                    config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
            if self.proc.poll() is not None:
                sys.exit(f"stepwise serve exited:\n{text}")
            time.sleep(0.05)
        self.proc.kill()
        sys.exit("stepwise serve did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def wait(sfn, arn, timeout=30):
    deadline = time.time() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.05)


def history_types(sfn, arn):
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mock_file = os.path.join(tmp, "mocks.json")
        with open(mock_file, "w") as f:
            json.dump(MOCKS, f)
        server = Server(args.stepwise, tmp, mock_file)
        sfn = server.start()
        try:
            run(server, sfn)
        finally:
            if server.proc.poll() is None:
                server.stop()
    if failures:
        print(f"{len(failures)} mock checks failed: {failures}")
        return 1
    print("all mock checks passed")
    return 0


def run(server, sfn):
    """The checks, against a running server (restarted once)."""

    child = sfn.create_state_machine(name="ship", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Label", "States": {"Label": {
            "Type": "Pass", "Parameters": {"shipped.$": "$.paid"}, "End": True}}}))["stateMachineArn"]
    order = sfn.create_state_machine(name="order", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                       "Retry": [{"ErrorEquals": ["Payment.Declined"], "IntervalSeconds": 1,
                                  "MaxAttempts": 2}],
                       "ResultSelector": {"paid.$": "$.Payload.paid"}, "Next": "Ship"},
            "Ship": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                     "Parameters": {"StateMachineArn": child, "Input.$": "$"},
                     "OutputPath": "$.Output", "End": True}}}))["stateMachineArn"]

    arn = sfn.start_execution(stateMachineArn=f"{order}#DeclinedOnce", name="o1",
                              input='{"amount": 42}')["executionArn"]
    check("a test case's execution has the machine's execution ARN",
          arn == order.replace(":stateMachine:", ":execution:") + ":o1", arn)
    d = wait(sfn, arn)
    check("mocked Charge (declined, retried, paid) then the real nested Ship",
          d["status"] == "SUCCEEDED" and json.loads(d.get("output", "null")) == {"shipped": 42},
          f"{d['status']} {d.get('output')} {d.get('error')} {d.get('cause')}")
    types = history_types(sfn, arn)
    check("the mocked Throw is a TaskFailed, the retry a second TaskScheduled",
          types.count("TaskFailed") == 1 and types.count("TaskScheduled") == 3, str(types))
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    check("the unmocked state started the child for real", len(children) == 1, str(children))

    real = sfn.start_execution(stateMachineArn=order, name="o2", input="{}")["executionArn"]
    d = wait(sfn, real)
    check("without a test case the Lambda task goes to the real integrations (none configured)",
          d["status"] == "FAILED", f"{d['status']} {d.get('error')}")

    try:
        sfn.start_execution(stateMachineArn=f"{order}#NoSuchCase", input="{}")
        check("an unknown test case is refused", False)
    except ClientError as e:
        check("an unknown test case is refused", e.response["Error"]["Code"] == "ValidationException",
              e.response["Error"]["Code"])

    quick = sfn.create_state_machine(name="quick", roleArn=ROLE, type="EXPRESS", definition=json.dumps({
        "StartAt": "Lookup", "States": {"Lookup": {
            "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": "t", "Key": {"id": {"S": "7"}}},
            "OutputPath": "$.Item", "End": True}}}))["stateMachineArn"]
    r = sfn.start_sync_execution(stateMachineArn=f"{quick}#Happy", input="{}")
    check("StartSyncExecution runs a test case",
          r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"id": {"S": "7"}},
          f"{r['status']} {r.get('output')} {r.get('error')}")

    poll = sfn.create_state_machine(name="poll", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Poll", "States": {
            "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "ResultPath": "$.r", "Next": "Ready?"},
            "Ready?": {"Type": "Choice", "Default": "Later", "Choices": [
                {"Variable": "$.r.done", "BooleanEquals": True, "Next": "Done"}]},
            "Later": {"Type": "Wait", "Seconds": 2, "Next": "Poll"},
            "Done": {"Type": "Succeed"}}}))["stateMachineArn"]
    parn = sfn.start_execution(stateMachineArn=f"{poll}#TwoPolls", name="p1", input="{}")["executionArn"]
    deadline = time.time() + 10
    while "WaitStateEntered" not in history_types(sfn, parn) and time.time() < deadline:
        time.sleep(0.05)
    server.kill9()
    sfn = server.start()
    d = wait(sfn, parn)
    types = history_types(sfn, parn)
    check("after SIGKILL and restart the mocked execution resumes with its case",
          d["status"] == "SUCCEEDED", f"{d['status']} {d.get('error')} {d.get('cause')}")
    check("the second poll got the second response (two polls, not three)",
          types.count("TaskScheduled") == 2, str(types))


if __name__ == "__main__":
    sys.exit(main())
