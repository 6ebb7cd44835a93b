#!/usr/bin/env python3
"""Activities, task tokens and nested workflows against a real `stepwise serve`,
with boto3 as an unmodified activity worker and the real AWS CLI:

- a worker loop (GetActivityTask with a workerName, SendTaskHeartbeat,
  SendTaskSuccess / SendTaskFailure) drives executions to their end, with
  AWS's history (ActivityScheduled, ActivityStarted{workerName}, …);
- a spent token, a heartbeat-timed-out task's token and a stopped execution's
  token are rejected with TaskTimedOut; a malformed token with InvalidToken;
  an unknown activity with ActivityDoesNotExist;
- startExecution.sync / .sync:2 return the child's DescribeExecution shape
  (Output as text / as JSON); stopping a parent aborts its .sync child;
- a startExecution.waitForTaskToken callback completed with
  `aws stepfunctions send-task-success`;
- durability: the server is killed with SIGKILL and restarted while an
  activity task waits for a worker, while another is with a worker (its token
  and heartbeat clock), and while a .sync child runs; all finish after restart.

Usage: activity_worker_test.py --stepwise PATH-TO-stepwise [--aws PATH-TO-aws]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/stepwise-activities"
failures = []
passes = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    (passes if cond else failures).append(name)


class Server:
    """A `stepwise serve` on a fixed data directory that can be killed and restarted."""

    def __init__(self, stepwise, tmp):
        self.stepwise, self.tmp, self.proc, self.endpoint = stepwise, tmp, None, None
        self.runs = 0

    def start(self):
        self.runs += 1
        log = open(os.path.join(self.tmp, f"serve-{self.runs}.log"), "w+")
        self.proc = subprocess.Popen([self.stepwise, "serve", "--port", "0", "--data-dir",
                                      os.path.join(self.tmp, "data")],
                                     stdout=log, stderr=subprocess.STDOUT)
        for _ in range(400):
            log.seek(0)
            text = log.read()
            if "listening on" in text:
                self.endpoint = text.split("listening on ")[1].split()[0]
                return self.client()
            if self.proc.poll() is not None:
                sys.exit(f"stepwise serve exited:\n{text}")
            time.sleep(0.05)
        self.proc.kill()
        sys.exit("stepwise serve did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def client(self):
        return boto3.client("stepfunctions", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="stepwise", aws_secret_access_key="stepwise",
                            config=Config(retries={"max_attempts": 1}, read_timeout=70))


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def machine(sfn, name, definition):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE)["stateMachineArn"]


def wait_done(sfn, arn, timeout=20):
    deadline = time.time() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.05)


def history(sfn, arn):
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def types(events):
    return [e["type"] for e in events]


def take(sfn, activity, worker):
    """One GetActivityTask poll (it returns at once when a task is queued)."""
    return sfn.get_activity_task(activityArn=activity, workerName=worker)


def activity_machine(activity, heartbeat=None, timeout=None):
    task = {"Type": "Task", "Resource": activity, "End": True}
    if heartbeat:
        task["HeartbeatSeconds"] = heartbeat
    if timeout:
        task["TimeoutSeconds"] = timeout
    return {"StartAt": "Work", "States": {"Work": task}}


def test_worker_loop(sfn, activity, sm):
    arns = [sfn.start_execution(stateMachineArn=sm, input=json.dumps({"n": i}))["executionArn"]
            for i in range(5)]
    seen = []
    for _ in range(5):
        t = take(sfn, activity, "worker-1")
        inp = json.loads(t["input"])
        sfn.send_task_heartbeat(taskToken=t["taskToken"])
        sfn.send_task_success(taskToken=t["taskToken"], output=json.dumps({"doubled": inp["n"] * 2}))
        seen.append(inp["n"])
        last = t["taskToken"]
    check("the worker got every task once, oldest first", seen == list(range(5)), seen)
    outs = [wait_done(sfn, a) for a in arns]
    check("every execution succeeded with the worker's output",
          all(d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"doubled": i * 2}
              for i, d in enumerate(outs)), [d.get("output") for d in outs])
    events = history(sfn, arns[0])
    check("activity history as AWS records it", types(events) == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
        "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"], types(events))
    started = [e for e in events if e["type"] == "ActivityStarted"][0]
    check("ActivityStarted names the worker",
          started["activityStartedEventDetails"].get("workerName") == "worker-1", started)
    sched = [e for e in events if e["type"] == "ActivityScheduled"][0]["activityScheduledEventDetails"]
    check("ActivityScheduled has the resource and input",
          sched["resource"] == activity and json.loads(sched["input"]) == {"n": 0}, sched)
    check("a spent token is TaskTimedOut",
          error_code(lambda: sfn.send_task_success(taskToken=last, output="{}")) == "TaskTimedOut")


def test_failure_and_bad_requests(sfn, activity, sm):
    arn = sfn.start_execution(stateMachineArn=sm, input="{}")["executionArn"]
    t = take(sfn, activity, "worker-2")
    check("output that is not JSON is InvalidOutput",
          error_code(lambda: sfn.send_task_success(taskToken=t["taskToken"], output="{nope")) == "InvalidOutput")
    sfn.send_task_failure(taskToken=t["taskToken"], error="Worker.Broke", cause="disk on fire")
    d = wait_done(sfn, arn)
    check("SendTaskFailure fails the execution with its error and cause",
          d["status"] == "FAILED" and d.get("error") == "Worker.Broke" and d.get("cause") == "disk on fire", d)
    check("ActivityFailed is recorded", "ActivityFailed" in types(history(sfn, arn)))
    check("a malformed token is InvalidToken",
          error_code(lambda: sfn.send_task_success(taskToken="not-a-token", output="{}")) == "InvalidToken")
    check("an unknown activity is ActivityDoesNotExist",
          error_code(lambda: sfn.get_activity_task(
              activityArn=activity + "-missing")) == "ActivityDoesNotExist")
    check("a non-activity ARN is InvalidArn",
          error_code(lambda: sfn.get_activity_task(activityArn="not-an-arn")) == "InvalidArn")
    check("a token over 2048 characters is ValidationException",
          error_code(lambda: sfn.send_task_heartbeat(taskToken="x" * 2049)) == "ValidationException")


def test_heartbeat_timeout_and_stop(sfn, activity):
    hb = machine(sfn, "hb-timeout", activity_machine(activity, heartbeat=1))
    arn = sfn.start_execution(stateMachineArn=hb, input="{}")["executionArn"]
    t = take(sfn, activity, "sleepy")
    # Heartbeats keep it alive past HeartbeatSeconds...
    for _ in range(3):
        time.sleep(0.5)
        sfn.send_task_heartbeat(taskToken=t["taskToken"])
    check("heartbeats keep the task alive",
          sfn.describe_execution(executionArn=arn)["status"] == "RUNNING")
    # ...and without them it times out.
    d = wait_done(sfn, arn, timeout=10)
    check("a task without heartbeats fails with States.HeartbeatTimeout",
          d["status"] == "FAILED" and d.get("error") == "States.HeartbeatTimeout", d)
    check("ActivityTimedOut is recorded", "ActivityTimedOut" in types(history(sfn, arn)))
    check("the timed-out task's token is TaskTimedOut",
          error_code(lambda: sfn.send_task_success(taskToken=t["taskToken"], output="{}")) == "TaskTimedOut")

    plain = machine(sfn, "to-stop", activity_machine(activity))
    arn = sfn.start_execution(stateMachineArn=plain, input="{}")["executionArn"]
    t = take(sfn, activity, "w")
    sfn.stop_execution(executionArn=arn, error="Stopped", cause="by the test")
    check("a stopped execution's token is TaskTimedOut",
          error_code(lambda: sfn.send_task_heartbeat(taskToken=t["taskToken"])) == "TaskTimedOut")


def test_nested(sfn, activity, aws, endpoint):
    child = machine(sfn, "child", {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "End": True}}})
    for suffix, as_json in ((".sync", False), (".sync:2", True)):
        parent = machine(sfn, "parent" + suffix.replace(".", "-").replace(":", "-"), {
            "StartAt": "Run", "States": {"Run": {
                "Type": "Task", "Resource": "arn:aws:states:::states:startExecution" + suffix,
                "Parameters": {"StateMachineArn": child, "Input": {
                    "x": 7, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
                "End": True}}})
        arn = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
        d = wait_done(sfn, arn)
        out = json.loads(d.get("output") or "{}")
        expected_out = {"got": 7} if as_json else json.dumps({"got": 7}, separators=(",", ":"))
        check(f"startExecution{suffix} returns the child's DescribeExecution shape",
              d["status"] == "SUCCEEDED" and out.get("Status") == "SUCCEEDED"
              and out.get("Output") == expected_out and "ExecutionArn" in out and "StopDate" in out, d)
        child_in = sfn.describe_execution(executionArn=out.get("ExecutionArn", arn))["input"]
        check(f"the {suffix} child's input names its parent",
              json.loads(child_in).get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID") == arn, child_in)
        check(f"{suffix}: TaskSubmitted then TaskSucceeded",
              types(history(sfn, arn))[3:6] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded"],
              types(history(sfn, arn)))

    # A failing child fails the parent's task with States.TaskFailed.
    failing = machine(sfn, "failing-child", {"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "Child.Broke", "Cause": "on purpose"}}})
    parent = machine(sfn, "parent-of-failing", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": failing}, "End": True}}})
    d = wait_done(sfn, sfn.start_execution(stateMachineArn=parent)["executionArn"])
    cause = json.loads(d.get("cause") or "{}")
    check("a failed .sync child fails the parent with States.TaskFailed and its describe shape",
          d.get("error") == "States.TaskFailed" and cause.get("Error") == "Child.Broke"
          and cause.get("Status") == "FAILED", d)

    # Stopping a parent aborts its .sync child (which waits for an activity worker).
    waiting = machine(sfn, "waiting-child", activity_machine(activity))
    parent = machine(sfn, "parent-stopped", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": waiting, "Name": "stopped-child"}, "End": True}}})
    arn = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    child_arn = waiting.replace(":stateMachine:", ":execution:") + ":stopped-child"
    for _ in range(100):
        if error_code(lambda: sfn.describe_execution(executionArn=child_arn)) is None:
            break
        time.sleep(0.05)
    sfn.stop_execution(executionArn=arn)
    c = wait_done(sfn, child_arn)
    check("stopping a parent aborts its .sync child", c["status"] == "ABORTED", c)
    # The child's queued activity task is gone with it.

    # A callback: the child receives the token and the AWS CLI answers it.
    parent = machine(sfn, "parent-callback", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": child, "Input": {"x": 1, "token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 60, "End": True}}})
    arn = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    token = None
    for _ in range(100):
        events = history(sfn, arn)
        sub = [e for e in events if e["type"] == "TaskSubmitted"]
        if sub:
            child_arn = json.loads(sub[0]["taskSubmittedEventDetails"]["output"])["ExecutionArn"]
            token = json.loads(sfn.describe_execution(executionArn=child_arn)["input"])["token"]
            break
        time.sleep(0.05)
    check("the waitForTaskToken child got the token in its input", bool(token))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="stepwise", AWS_SECRET_ACCESS_KEY="stepwise",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    env.pop("AWS_PROFILE", None)
    cli = lambda *a: subprocess.run([aws, "stepfunctions", *a, "--endpoint-url", endpoint],
                                    env=env, capture_output=True, text=True)
    p = cli("send-task-heartbeat", "--task-token", token or "x")
    check("aws stepfunctions send-task-heartbeat", p.returncode == 0, p.stderr)
    p = cli("send-task-success", "--task-token", token or "x", "--task-output", '{"approved": true}')
    check("aws stepfunctions send-task-success", p.returncode == 0, p.stderr)
    d = wait_done(sfn, arn)
    check("the callback's output is the task's result",
          d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"approved": True}, d)
    p = cli("send-task-success", "--task-token", token or "x", "--task-output", "{}")
    check("the AWS CLI sees TaskTimedOut for a spent token", "TaskTimedOut" in p.stderr, p.stderr)


def test_kill9(server, sfn, activity):
    sm = machine(sfn, "durable", activity_machine(activity, heartbeat=30))
    queued = sfn.start_execution(stateMachineArn=sm, input='{"which": "queued"}')["executionArn"]
    taken = sfn.start_execution(stateMachineArn=sm, input='{"which": "taken"}')["executionArn"]
    first = take(sfn, activity, "before-crash")
    check("the first task is the oldest", json.loads(first["input"]) == {"which": "queued"}, first)
    # Hand the first one back by not answering; take the second too.
    second = take(sfn, activity, "before-crash")
    child = machine(sfn, "durable-child", activity_machine(activity))
    parent = machine(sfn, "durable-parent", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Input": {"which": "child"}}, "End": True}}})
    parent_arn = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    for _ in range(100):
        if "TaskSubmitted" in types(history(sfn, parent_arn)):
            break
        time.sleep(0.05)
    queued_after = sfn.start_execution(stateMachineArn=sm, input='{"which": "after"}')["executionArn"]

    server.kill9()
    sfn = server.start()

    # Tokens handed out before the crash still work (heartbeat, then success).
    sfn.send_task_heartbeat(taskToken=first["taskToken"])
    sfn.send_task_success(taskToken=first["taskToken"], output='{"done": "first"}')
    sfn.send_task_success(taskToken=second["taskToken"], output='{"done": "second"}')
    # Tasks no worker took are queued again, oldest first.
    got = []
    for _ in range(2):
        t = take(sfn, activity, "after-crash")
        got.append(json.loads(t["input"]).get("which"))
        sfn.send_task_success(taskToken=t["taskToken"], output=json.dumps({"done": got[-1]}))
    check("tasks waiting for a worker survive kill -9", sorted(got) == ["after", "child"], got)
    for arn, want in ((queued, "first"), (taken, "second"), (queued_after, "after")):
        d = wait_done(sfn, arn)
        check(f"execution '{want}' finished after restart",
              d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"done": want}, d)
    d = wait_done(sfn, parent_arn)
    out = json.loads(d.get("output") or "{}")
    check("a .sync parent gets its child's result across a restart",
          d["status"] == "SUCCEEDED" and out.get("Output") == {"done": "child"}, d)
    started = [e for e in history(sfn, taken) if e["type"] == "ActivityStarted"]
    check("a task a worker took before the crash is not handed out again", len(started) == 1, started)
    return sfn


def test_long_poll(sfn, activity, sm):
    """A poll waiting for a task gets it as soon as it is scheduled."""
    result = {}

    def poll():
        t0 = time.time()
        result["task"] = take(sfn, activity, "poller")
        result["waited"] = time.time() - t0

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.5)
    arn = sfn.start_execution(stateMachineArn=sm, input='{"late": true}')["executionArn"]
    th.join(70)
    t = result.get("task", {})
    check("a waiting GetActivityTask returns the task scheduled meanwhile",
          json.loads(t.get("input", "{}")) == {"late": True} and result["waited"] < 10, result)
    if "taskToken" in t:
        sfn.send_task_success(taskToken=t["taskToken"], output="{}")
    check("that execution succeeds", wait_done(sfn, arn)["status"] == "SUCCEEDED")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    ap.add_argument("--aws", default="aws")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args.stepwise, tmp)
        sfn = server.start()
        try:
            activity = sfn.create_activity(name="workers")["activityArn"]
            sm = machine(sfn, "with-activity", activity_machine(activity))
            test_worker_loop(sfn, activity, sm)
            test_failure_and_bad_requests(sfn, activity, sm)
            test_heartbeat_timeout_and_stop(sfn, activity)
            test_long_poll(sfn, activity, sm)
            test_nested(sfn, activity, args.aws, server.endpoint)
            test_kill9(server, sfn, activity)
        finally:
            if server.proc and server.proc.poll() is None:
                server.proc.terminate()
                server.proc.wait()
    print(f"{len(passes)} passed, {len(failures)} failed")
    if failures:
        sys.exit("FAILED: " + ", ".join(failures))


if __name__ == "__main__":
    main()
