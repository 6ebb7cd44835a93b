#!/usr/bin/env python3
"""The examples of examples/human-approval, examples/activity-worker and
examples/nested-workflow, run end to end as their READMEs say: a real
`stepwise serve` (started in examples/human-approval, whose command and inbox
are relative paths), the real AWS CLI for what a person types, boto3 to wait
and read histories:

- human-approval: the request file the process wrote holds the change and a
  token that `aws stepfunctions send-task-success` answers (APPLIED, then the
  spent token is TaskTimedOut); `{"approved": false}` is DECLINED; a
  `send-task-failure --error Approval.Rejected` is caught (REJECTED, with the
  cause as the reason);
- activity-worker: the example's worker.py, unmodified, as two subprocesses
  pointed at the server by AWS_ENDPOINT_URL; executions succeed with the counts
  computed here from each input, ActivityStarted names a worker that was
  started, an empty text fails with Worker.InvalidInput;
- nested-workflow: checkout runs price-order with startExecution.sync:2 and
  uses its output (totals computed here from the input, the child's ARN, the
  child's input naming its parent); an empty order's Order.Empty child failure
  is caught as States.TaskFailed.

Usage: examples_test.py --stepwise PATH-TO-stepwise [--aws PATH-TO-aws]
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
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
ROLE = "arn:aws:iam::123456789012:role/stepwise-examples"
CREDS = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}

failures = []
passes = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    (passes if cond else failures).append(name)


def start_server(stepwise, tmp):
    log = open(os.path.join(tmp, "serve.log"), "w+")
    proc = subprocess.Popen([stepwise, "serve", "--port", "0", "--data-dir", os.path.join(tmp, "data")],
                            stdout=log, stderr=subprocess.STDOUT,
                            cwd=os.path.join(EXAMPLES, "human-approval"))
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


class Cli:
    """`aws stepfunctions … --endpoint-url URL`, JSON answers parsed."""

    def __init__(self, aws, endpoint, tmp):
        self.aws, self.endpoint = aws, endpoint
        self.env = dict(os.environ, AWS_PAGER="", AWS_CONFIG_FILE=os.path.join(tmp, "none"),
                        AWS_SHARED_CREDENTIALS_FILE=os.path.join(tmp, "none"), **CREDS)
        self.env.pop("AWS_PROFILE", None)

    def run(self, *args, cwd=None):
        return subprocess.run([self.aws, "stepfunctions", *args, "--endpoint-url", self.endpoint],
                              env=self.env, capture_output=True, text=True, cwd=cwd)

    def json(self, *args, cwd=None):
        p = self.run(*args, cwd=cwd)
        if p.returncode != 0:
            raise RuntimeError(f"aws stepfunctions {' '.join(args)}: {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}


def wait_done(sfn, arn, timeout=30):
    deadline = time.time() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.05)


def brief(d):
    """What a failed check shows of a DescribeExecution answer."""
    return {k: (d[k][:300] if isinstance(d[k], str) else d[k])
            for k in ("executionArn", "status", "output", "error", "cause") if k in d}


def history(sfn, arn):
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def types(events):
    return [e["type"] for e in events]


def entered(events):
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def wait_file(path, timeout=15):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            return None
        time.sleep(0.05)
    with open(path) as f:
        return json.load(f)


def human_approval(sfn, cli, tmp):
    here = os.path.join(EXAMPLES, "human-approval")
    sm = cli.json("create-state-machine", "--name", "approval", "--role-arn", ROLE,
                  "--definition", "file://approval.asl.json", cwd=here)["stateMachineArn"]
    with open(os.path.join(here, "input.json")) as f:
        example = json.load(f)
    inbox = os.path.join(tmp, "inbox")

    def request(name, change_id):
        change = {**example["change"], "id": change_id}
        arn = cli.json("start-execution", "--state-machine-arn", sm, "--name", name,
                       "--input", json.dumps({**example, "change": change, "inbox": inbox}))["executionArn"]
        req = wait_file(os.path.join(inbox, f"{name}.json"))
        check(f"approval {name}: the process wrote the request with the change and a token",
              req is not None and req["change"] == change and req["execution"] == arn
              and len(req.get("taskToken", "")) > 0, req)
        return arn, change, (req or {}).get("taskToken", "missing")

    # Approved.
    arn, change, token = request("chg-approve", "CHG-1")
    time.sleep(0.3)
    d = sfn.describe_execution(executionArn=arn)
    ev = history(sfn, arn)
    check("approval: the execution waits for the answer",
          d["status"] == "RUNNING" and "TaskSubmitted" in types(ev) and "TaskSucceeded" not in types(ev),
          (d["status"], types(ev)))
    answer = {"approved": True, "by": "lee"}
    p = cli.run("send-task-success", "--task-token", token, "--task-output", json.dumps(answer))
    check("approval: aws stepfunctions send-task-success", p.returncode == 0, p.stderr)
    d = wait_done(sfn, arn)
    out = json.loads(d.get("output") or "null")
    check("approval: approved changes are applied with the answer",
          d["status"] == "SUCCEEDED" and out == {"status": "APPLIED", "change": change["id"], "approval": answer},
          brief(d))
    ev = history(sfn, arn)
    check("approval: history submitted → succeeded → choice → Apply",
          types(ev)[:5] == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted"]
          and "TaskSucceeded" in types(ev) and "ChoiceStateEntered" in types(ev)
          and entered(ev) == ["RequestApproval", "Decide", "Apply"] and types(ev)[-1] == "ExecutionSucceeded",
          types(ev))
    p = cli.run("send-task-success", "--task-token", token, "--task-output", "{}")
    check("approval: the spent token is TaskTimedOut for the AWS CLI",
          p.returncode != 0 and "TaskTimedOut" in p.stderr, p.stderr)

    # Declined by an answer.
    arn, change, token = request("chg-decline", "CHG-2")
    p = cli.run("send-task-success", "--task-token", token, "--task-output", '{"approved": false}')
    d = wait_done(sfn, arn)
    out = json.loads(d.get("output") or "null")
    check("approval: {approved: false} is declined",
          p.returncode == 0 and d["status"] == "SUCCEEDED" and out.get("status") == "DECLINED"
          and entered(history(sfn, arn))[-1] == "Declined", (p.stderr, brief(d)))

    # Rejected by a task failure, caught.
    arn, change, token = request("chg-reject", "CHG-3")
    cause = "not during the freeze"
    p = cli.run("send-task-failure", "--task-token", token, "--error", "Approval.Rejected", "--cause", cause)
    check("approval: aws stepfunctions send-task-failure", p.returncode == 0, p.stderr)
    d = wait_done(sfn, arn)
    out = json.loads(d.get("output") or "null")
    check("approval: a rejection is caught with its cause",
          d["status"] == "SUCCEEDED" and out == {"status": "REJECTED", "change": change["id"], "reason": cause}, brief(d))
    ev = history(sfn, arn)
    failed = [e for e in ev if e["type"] == "TaskFailed"]
    check("approval: history has TaskFailed with the error, then Rejected",
          len(failed) == 1 and failed[0]["taskFailedEventDetails"]["error"] == "Approval.Rejected"
          and entered(ev) == ["RequestApproval", "Rejected"], types(ev))


def expected_counts(text):
    words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
    return len(words), len(set(words))


def activity_worker(sfn, cli, endpoint, tmp, python):
    here = os.path.join(EXAMPLES, "activity-worker")
    with open(os.path.join(here, "word-count.asl.json")) as f:
        definition = json.load(f)
    activity = cli.json("create-activity", "--name", "word-count")["activityArn"]
    check("activity: the created activity is the one the definition names",
          activity == definition["States"]["CountWords"]["Resource"], activity)
    sm = cli.json("create-state-machine", "--name", "word-count", "--role-arn", ROLE,
                  "--definition", "file://word-count.asl.json", cwd=here)["stateMachineArn"]
    with open(os.path.join(here, "input.json")) as f:
        example = json.load(f)
    inputs = [example,
              {"document": "short", "text": "Hello hello world"},
              {"document": "lorem", "text": " ".join(f"w{i % 7}" for i in range(2500))}]
    # Started before any worker runs: they wait for one.
    arns = [sfn.start_execution(stateMachineArn=sm, input=json.dumps(i))["executionArn"] for i in inputs]
    bad = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"document": "empty", "text": "  "}))["executionArn"]
    time.sleep(0.3)
    check("activity: without a worker the tasks wait",
          all(sfn.describe_execution(executionArn=a)["status"] == "RUNNING" for a in arns + [bad]))

    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, **CREDS)
    env.pop("AWS_PROFILE", None)
    names = ["example-worker-1", "example-worker-2"]
    workers = [subprocess.Popen([python, os.path.join(here, "worker.py"), "--activity-arn", activity,
                                 "--worker-name", n], env=env, stdout=open(os.path.join(tmp, f"{n}.log"), "w"),
                                stderr=subprocess.STDOUT) for n in names]
    try:
        results = [wait_done(sfn, a) for a in arns]
        for inp, d in zip(inputs, results):
            words, distinct = expected_counts(inp["text"])
            out = json.loads(d.get("output") or "null") or {}
            counts = out.get("counts", {})
            check(f"activity: '{inp['document']}' counted by the worker",
                  d["status"] == "SUCCEEDED" and counts.get("words") == words
                  and counts.get("distinct") == distinct and out.get("document") == inp["document"]
                  and out.get("length") == ("long" if words >= 10 else "short"), brief(d))
            ev = history(sfn, d["executionArn"])
            started = [e["activityStartedEventDetails"].get("workerName") for e in ev if e["type"] == "ActivityStarted"]
            check(f"activity: '{inp['document']}' history names the worker that took it",
                  types(ev)[:6] == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                    "ActivityStarted", "ActivitySucceeded", "TaskStateExited"]
                  and len(started) == 1 and started[0] in names, (types(ev), started))
        d = wait_done(sfn, bad)
        check("activity: an empty text fails with the worker's Worker.InvalidInput",
              d["status"] == "FAILED" and d.get("error") == "Worker.InvalidInput"
              and "non-empty" in d.get("cause", ""), brief(d))
        check("activity: ActivityFailed recorded", "ActivityFailed" in types(history(sfn, bad)))
        # One more after the queue drained: a waiting long poll takes it at once.
        t0 = time.time()
        arn = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"document": "late", "text": "one two"}))["executionArn"]
        d = wait_done(sfn, arn)
        check("activity: a polling worker takes a new task promptly",
              d["status"] == "SUCCEEDED" and time.time() - t0 < 10
              and json.loads(d["output"])["counts"]["words"] == 2, brief(d))
        alive = [w.poll() is None for w in workers]
        check("activity: the workers keep polling", all(alive), alive)
    finally:
        for w in workers:
            w.terminate()
            w.wait(timeout=10)


def nested_workflow(sfn, cli):
    here = os.path.join(EXAMPLES, "nested-workflow")
    child = cli.json("create-state-machine", "--name", "price-order", "--role-arn", ROLE,
                     "--definition", "file://price-order.asl.json", cwd=here)["stateMachineArn"]
    with open(os.path.join(here, "checkout.asl.json")) as f:
        named = json.load(f)["States"]["PriceOrder"]["Parameters"]["StateMachineArn"]
    check("nested: the created child is the one the parent names", child == named, child)
    parent = cli.json("create-state-machine", "--name", "checkout", "--role-arn", ROLE,
                      "--definition", "file://checkout.asl.json", cwd=here)["stateMachineArn"]
    with open(os.path.join(here, "order.json")) as f:
        order = json.load(f)
    big = {"orderId": "o-8", "items": [{"sku": "KETTLE-2", "qty": 1, "priceCents": 4599},
                                       {"sku": "TEA-3", "qty": 3, "priceCents": 899}]}
    for inp in (order, big):
        arn = cli.json("start-execution", "--state-machine-arn", parent, "--name", inp["orderId"],
                       "--input", json.dumps(inp))["executionArn"]
        d = wait_done(sfn, arn)
        out = json.loads(d.get("output") or "null") or {}
        total = sum(i["qty"] * i["priceCents"] for i in inp["items"])
        check(f"nested {inp['orderId']}: the parent uses the child's total",
              d["status"] == "SUCCEEDED" and out.get("status") == "PRICED" and out.get("itemsCents") == total
              and out.get("lines") == len(inp["items"])
              and out.get("shippingCents") == (0 if total >= 5000 else 495), brief(d))
        kid = out.get("pricedBy", "")
        check(f"nested {inp['orderId']}: pricedBy is a price-order execution",
              kid.startswith(child.replace(":stateMachine:", ":execution:") + ":"), kid)
        if kid:
            c = sfn.describe_execution(executionArn=kid)
            check(f"nested {inp['orderId']}: the child succeeded and its input names the parent",
                  c["status"] == "SUCCEEDED"
                  and json.loads(c["input"]).get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID") == arn
                  and json.loads(c["input"]).get("items") == inp["items"], brief(c))
        ev = history(sfn, arn)
        check(f"nested {inp['orderId']}: the task is submitted and succeeds",
              types(ev)[3:6] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
              and types(ev)[-1] == "ExecutionSucceeded", types(ev))

    arn = cli.json("start-execution", "--state-machine-arn", parent, "--name", "o-empty",
                   "--input", json.dumps({"orderId": "o-empty", "items": []}))["executionArn"]
    d = wait_done(sfn, arn)
    out = json.loads(d.get("output") or "null") or {}
    kid = out.get("childExecution", {})
    check("nested: an empty order's child failure is caught as States.TaskFailed",
          d["status"] == "SUCCEEDED" and out.get("status") == "REJECTED" and out.get("error") == "States.TaskFailed"
          and kid.get("Status") == "FAILED" and kid.get("Error") == "Order.Empty", brief(d))
    ev = history(sfn, arn)
    check("nested: history has TaskFailed then NotPriced",
          "TaskFailed" in types(ev) and entered(ev) == ["PriceOrder", "NotPriced"], types(ev))
    children = cli.json("list-executions", "--state-machine-arn", child)["executions"]
    check("nested: list-executions shows the three children",
          sorted(e["status"] for e in children) == ["FAILED", "SUCCEEDED", "SUCCEEDED"], children)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    ap.add_argument("--aws", default="aws")
    ap.add_argument("--python", default=sys.executable, help="a Python with boto3, for worker.py")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, endpoint = start_server(os.path.abspath(args.stepwise), tmp)
        try:
            sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x",
                               config=Config(retries={"max_attempts": 1}))
            # Commands run in the examples' directories: a relative --aws is made absolute.
            cli = Cli(os.path.abspath(args.aws) if os.sep in args.aws else args.aws, endpoint, tmp)
            for name, run in (("human-approval", lambda: human_approval(sfn, cli, tmp)),
                              ("activity-worker", lambda: activity_worker(sfn, cli, endpoint, tmp, args.python)),
                              ("nested-workflow", lambda: nested_workflow(sfn, cli))):
                print(f"== examples/{name}")
                try:
                    run()
                except (ClientError, RuntimeError, KeyError, ValueError) as e:
                    check(f"{name} ran to its end", False, repr(e))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{len(passes)} passed, {len(failures)} failed")
    if failures:
        sys.exit("FAILED: " + ", ".join(failures))


if __name__ == "__main__":
    main()
