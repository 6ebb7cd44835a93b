#!/usr/bin/env python3
"""Local functions and processes end to end: a real `stepwise serve` started
with a config file declaring Python functions (run by awslambdaric), driven
with boto3: lambda:invoke's result shape, a handler error's errorType and
cause, an unknown function, a bare function ARN, process:run.sync, and the
order saga of examples/order-saga (success after a retried gateway timeout, a
declined card, a failed fulfilment compensated by a refund). The same saga also
runs through `stepwise run --config`.

Usage: functions_test.py --stepwise PATH-TO-stepwise [--python PYTHON-WITH-awslambdaric]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAGA = os.path.join(ROOT, "examples", "order-saga")
HANDLERS = os.path.join(ROOT, "crates", "functions", "tests", "handlers", "python")
ROLE = "arn:aws:iam::123456789012:role/stepwise"

failures = []
passes = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    (passes if cond else failures).append(name)


def write_config(tmp, python):
    """The example's functions (code path made absolute) plus the test handlers."""
    with open(os.path.join(SAGA, "stepwise.toml")) as f:
        saga = f.read().replace('code = "handlers"', f'code = "{os.path.join(SAGA, "handlers")}"')
    extra = "".join(
        f'\n[[functions]]\nname = "{name}"\nruntime = "python3.11"\nhandler = "app.{handler}"\n'
        f'code = "{HANDLERS}"\nenvironment = {{ GREETING = "from-config" }}\n'
        for name, handler in [("echo", "echo"), ("fail", "fail"), ("callback", "callback"), ("slow", "slow")]
    )
    path = os.path.join(tmp, "stepwise.toml")
    with open(path, "w") as f:
        f.write(saga + extra)
    return path


def start_server(stepwise, tmp, config, python, log_name="serve.log"):
    log = open(os.path.join(tmp, log_name), "w+")
    env = dict(os.environ, STEPWISE_PYTHON=python)
    proc = subprocess.Popen([stepwise, "serve", "--port", "0", "--data-dir", os.path.join(tmp, "data"),
                             "--config", config], stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(400):
        log.seek(0)
        text = log.read()
        if "listening on" in text:
            return proc, text.split("listening on ")[1].split()[0]
        if proc.poll() is not None:
            sys.exit(f"stepwise serve exited:\n{text}")
        time.sleep(0.05)
    proc.kill()
    sys.exit("stepwise serve did not start")


def run_to_end(sfn, name, definition, payload):
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    for _ in range(600):
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING":
            events = sfn.get_execution_history(executionArn=ex, maxResults=1000)["events"]
            return d, events
        time.sleep(0.05)
    return sfn.describe_execution(executionArn=ex), []


def task(resource, parameters=None, **extra):
    state = {"Type": "Task", "Resource": resource, "End": True, **extra}
    if parameters is not None:
        state["Parameters"] = parameters
    return {"StartAt": "T", "States": {"T": state}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="stepwise-functions-")
    config = write_config(tmp, args.python)
    proc, endpoint = start_server(args.stepwise, tmp, config, args.python)
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"max_attempts": 1}))

        d, _ = run_to_end(sfn, "invoke", task("arn:aws:states:::lambda:invoke",
                                              {"FunctionName": "echo", "Payload.$": "$"}), {"order": 1})
        out = json.loads(d.get("output", "null") or "null")
        check("lambda:invoke succeeds", d["status"] == "SUCCEEDED", d)
        if d["status"] == "SUCCEEDED":
            check("lambda:invoke result shape",
                  sorted(out) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"]
                  and out["StatusCode"] == 200 and out["ExecutedVersion"] == "$LATEST", out)
            check("the handler got the payload and the config's environment",
                  out["Payload"]["event"] == {"order": 1} and out["Payload"]["greeting"] == "from-config", out)

        d, events = run_to_end(sfn, "bare", task("arn:aws:lambda:us-east-1:123456789012:function:echo"), {"b": 2})
        out = json.loads(d.get("output", "null") or "null")
        check("a bare function ARN returns the handler's value",
              d["status"] == "SUCCEEDED" and out["event"] == {"b": 2}, d)
        check("a bare function ARN records Lambda events",
              "LambdaFunctionSucceeded" in [e["type"] for e in events], [e["type"] for e in events])

        d, _ = run_to_end(sfn, "fail", task("arn:aws:states:::lambda:invoke",
                                            {"FunctionName": "fail", "Payload": {"card": "4000"}}), {})
        cause = json.loads(d.get("cause", "{}"))
        check("a handler error fails with its errorType",
              d["status"] == "FAILED" and d.get("error") == "PaymentDeclined", d)
        check("the cause is the handler's error JSON",
              cause.get("errorMessage") == "card 4000 declined" and cause.get("errorType") == "PaymentDeclined"
              and isinstance(cause.get("stackTrace"), list), cause)

        d, _ = run_to_end(sfn, "missing", task("arn:aws:states:::lambda:invoke", {"FunctionName": "nope"}), {})
        check("an unknown function is Lambda.ResourceNotFoundException",
              d.get("error") == "Lambda.ResourceNotFoundException"
              and d.get("cause", "").startswith("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"), d)

        d, _ = run_to_end(sfn, "proc", task("arn:aws:states:::process:run.sync", {
            "Command": ["python3", "-c", "import json,sys; print(json.dumps({'sum': sum(json.load(sys.stdin))}))"],
            "Stdin.$": "$.numbers"}), {"numbers": [1, 2, 3]})
        check("process:run.sync returns the process's JSON stdout",
              d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"sum": 6}, d)
        d, _ = run_to_end(sfn, "proc-fail", task("arn:aws:states:::process:run.sync", {
            "Command": ["sh", "-c", "echo 'no such order' >&2; exit 3"]}), {})
        check("a non-zero exit is Process.ExitCode.<n> with the stderr tail",
              d.get("error") == "Process.ExitCode.3" and d.get("cause") == "no such order", d)

        # .waitForTaskToken: the token reaches the process's environment and the
        # handler's payload; each answers through SendTaskSuccess.
        send = ("import boto3, os; boto3.client('stepfunctions', endpoint_url=os.environ['EP'], "
                "region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x')"
                ".send_task_success(taskToken=os.environ['STEPWISE_TASK_TOKEN'], output='{\"built\": true}')")
        d, events = run_to_end(sfn, "proc-token", task("arn:aws:states:::process:run.waitForTaskToken", {
            "Command": [args.python, "-c", send], "Environment": {"EP": endpoint}}), {})
        check("process:run.waitForTaskToken: the process sends the token from STEPWISE_TASK_TOKEN",
              d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"built": True}
              and "TaskSubmitted" in [e["type"] for e in events], (d, [e["type"] for e in events]))
        d, _ = run_to_end(sfn, "lambda-token", task("arn:aws:states:::lambda:invoke.waitForTaskToken", {
            "FunctionName": "callback", "Payload": {"token.$": "$$.Task.Token", "endpoint": endpoint}}), {})
        check("lambda:invoke.waitForTaskToken: the handler sends $$.Task.Token",
              d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"approved": True}, d)

        with open(os.path.join(SAGA, "order-saga.asl.json")) as f:
            saga = json.load(f)
        with open(os.path.join(SAGA, "order.json")) as f:
            order = json.load(f)
        d, events = run_to_end(sfn, "order-saga", saga, order)
        out = json.loads(d.get("output", "null") or "null")
        check("saga: the order goes through", d["status"] == "SUCCEEDED", d)
        if d["status"] == "SUCCEEDED":
            check("saga: the gateway timeout was retried",
                  out["charge"]["attempts"] == 2 and out["validation"]["total"] == 26.99
                  and out["shipment"]["items"] == 2, out)
        arn = d["stateMachineArn"]

        def saga_run(name, changes):
            ex = sfn.start_execution(stateMachineArn=arn, name=name,
                                     input=json.dumps({**order, **changes}))["executionArn"]
            for _ in range(600):
                d = sfn.describe_execution(executionArn=ex)
                if d["status"] != "RUNNING":
                    break
                time.sleep(0.05)
            return d, sfn.get_execution_history(executionArn=ex, maxResults=1000)["events"]

        d, _ = saga_run("declined", {"orderId": "o-2", "card": "declined", "gatewayTimeouts": 0})
        check("saga: a declined card fails the payment", d.get("error") == "PaymentFailed", d)
        d, events = saga_run("out-of-stock", {"orderId": "o-3", "gatewayTimeouts": 0,
                                              "items": [{"sku": "OUT-OF-STOCK-9", "price": 5}]})
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "TaskStateEntered"]
        check("saga: a failed fulfilment is compensated by a refund",
              d.get("error") == "OrderNotFulfilled" and entered == ["Validate", "Charge", "Fulfil", "Refund"], (d, entered))
        d, _ = saga_run("invalid", {"orderId": "o-4", "items": []})
        check("saga: an invalid order is rejected", d.get("error") == "OrderRejected", d)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    # A function task in flight when the server is killed runs again after the restart.
    proc, endpoint = start_server(args.stepwise, tmp, config, args.python, "serve-2.log")
    sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"max_attempts": 1}))
    arn = sfn.create_state_machine(name="restart", roleArn=ROLE, definition=json.dumps(
        task("arn:aws:states:::lambda:invoke", {"FunctionName": "slow", "Payload": {"seconds": 1.5}})))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(200):
        types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
        if "TaskStarted" in types:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    proc, endpoint = start_server(args.stepwise, tmp, config, args.python, "serve-3.log")
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"max_attempts": 1}))
        for _ in range(600):
            d = sfn.describe_execution(executionArn=ex)
            if d["status"] != "RUNNING":
                break
            time.sleep(0.05)
        check("a function task in flight at kill -9 completes after the restart",
              d["status"] == "SUCCEEDED" and json.loads(d["output"])["Payload"]["slept"] == 1.5, d)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    # The same saga in-process with `stepwise run --config`.
    r = subprocess.run([args.stepwise, "run", os.path.join(SAGA, "order-saga.asl.json"),
                        "--config", os.path.join(SAGA, "stepwise.toml"),
                        "--input", "@" + os.path.join(SAGA, "order.json")],
                       capture_output=True, text=True, env=dict(os.environ, STEPWISE_PYTHON=args.python),
                       timeout=120)
    out = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None
    check("stepwise run --config runs the saga",
          out is not None and out["charge"]["attempts"] == 2 and "shipmentId" in out["shipment"],
          r.stdout + r.stderr[-2000:])

    # Mocks keep precedence: Charge mocked, the other states call the real functions.
    mocks = os.path.join(tmp, "mocks.json")
    with open(mocks, "w") as f:
        json.dump({"StateMachines": {"order-saga": {"TestCases": {"Declined": {"Charge": "Declined"}}}},
                   "MockedResponses": {"Declined": {"0": {"Throw": {"Error": "PaymentDeclined", "Cause": "mocked"}}}}}, f)
    r = subprocess.run([args.stepwise, "run", os.path.join(SAGA, "order-saga.asl.json"), "--json",
                        "--config", os.path.join(SAGA, "stepwise.toml"), "--mocks", mocks, "--case", "Declined",
                        "--input", "@" + os.path.join(SAGA, "order.json")],
                       capture_output=True, text=True, env=dict(os.environ, STEPWISE_PYTHON=args.python),
                       timeout=120)
    doc = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    types = [e["type"] for e in doc.get("history", [])]
    check("stepwise run --config --mocks: mocked states answered by the mock, the rest by functions",
          doc.get("error") == "PaymentFailed" and "TaskSucceeded" in types
          and any("mocked" in json.dumps(e) for e in doc.get("history", [])), r.stdout[-2000:] + r.stderr[-2000:])

    print(f"{len(passes)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
