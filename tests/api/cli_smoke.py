#!/usr/bin/env python3
"""AWS CLI smoke test against a running `stepwise serve`: the real `aws
stepfunctions` commands with `--endpoint-url` and nothing else changed.

Usage: cli_smoke.py --endpoint http://127.0.0.1:PORT [--aws PATH-TO-aws]
"""

import argparse
import json
import os
import subprocess
import sys
import time

DEFINITION = json.dumps(
    {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"hello": "world"}, "End": True}}}
)
ROLE = "arn:aws:iam::123456789012:role/stepwise-smoke"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--aws", default="aws")
    args = ap.parse_args()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="stepwise", AWS_SECRET_ACCESS_KEY="stepwise",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    env.pop("AWS_PROFILE", None)

    def aws(*argv, fail=False, extra_env=None):
        cmd = [args.aws, "stepfunctions", *argv, "--endpoint-url", args.endpoint, "--output", "json"]
        p = subprocess.run(cmd, env=dict(env, **(extra_env or {})), capture_output=True, text=True)
        if fail:
            if p.returncode == 0:
                sys.exit(f"expected failure: {' '.join(argv)}\n{p.stdout}")
            return p.stderr
        if p.returncode != 0:
            sys.exit(f"aws {' '.join(argv)} failed ({p.returncode}):\n{p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}

    name = f"smoke-{int(time.time() * 1000)}"
    sm = aws("create-state-machine", "--name", name, "--definition", DEFINITION, "--role-arn", ROLE,
             "--publish")["stateMachineArn"]
    assert aws("describe-state-machine", "--state-machine-arn", sm)["name"] == name
    assert any(m["stateMachineArn"] == sm for m in aws("list-state-machines")["stateMachines"])
    v2 = aws("update-state-machine", "--state-machine-arn", sm, "--definition",
             DEFINITION.replace("world", "there"), "--publish", "--version-description", "two")
    alias = aws("create-state-machine-alias", "--name", "live", "--routing-configuration",
                json.dumps([{"stateMachineVersionArn": v2["stateMachineVersionArn"], "weight": 100}])
                )["stateMachineAliasArn"]
    ex = aws("start-execution", "--state-machine-arn", alias, "--input", '{"x": 1}')["executionArn"]
    for _ in range(200):
        d = aws("describe-execution", "--execution-arn", ex)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"hello": "there"}, d
    hist = aws("get-execution-history", "--execution-arn", ex)["events"]
    assert hist[0]["type"] == "ExecutionStarted" and hist[-1]["type"] == "ExecutionSucceeded", hist
    listed = aws("list-executions", "--state-machine-arn", alias)["executions"]
    assert [e["executionArn"] for e in listed] == [ex], listed
    wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
    sm2 = aws("create-state-machine", "--name", name + "-wait", "--definition", wait,
              "--role-arn", ROLE)["stateMachineArn"]
    ex2 = aws("start-execution", "--state-machine-arn", sm2, "--name", "w1")["executionArn"]
    aws("stop-execution", "--execution-arn", ex2, "--error", "Stopped", "--cause", "smoke test")
    for _ in range(200):
        d2 = aws("describe-execution", "--execution-arn", ex2)
        if d2["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert d2["status"] == "ABORTED", d2
    assert d2["redriveStatus"] == "REDRIVABLE", d2
    # Redrive: the aborted execution waits in W again, RUNNING, redriven once.
    redriven = aws("redrive-execution", "--execution-arn", ex2)
    assert "redriveDate" in redriven, redriven
    d3 = aws("describe-execution", "--execution-arn", ex2)
    assert d3["status"] == "RUNNING" and d3["redriveCount"] == 1 and "redriveDate" in d3, d3
    types = [e["type"] for e in aws("get-execution-history", "--execution-arn", ex2)["events"]]
    assert types[-2:] == ["ExecutionRedriven", "WaitStateEntered"], types
    err = aws("redrive-execution", "--execution-arn", ex2, fail=True)
    assert "ExecutionNotRedrivable" in err, err
    aws("stop-execution", "--execution-arn", ex2)
    express = aws("create-state-machine", "--name", name + "-express", "--definition", DEFINITION,
                  "--role-arn", ROLE, "--type", "EXPRESS")["stateMachineArn"]
    # StartSyncExecution's endpoint has the host prefix `sync-`, which no IP
    # address or `localhost` can carry; the CLI's own switch turns the prefix off.
    sync = aws("start-sync-execution", "--state-machine-arn", express, "--input", "{}",
               extra_env={"AWS_DISABLE_HOST_PREFIX_INJECTION": "true"})
    assert sync["status"] == "SUCCEEDED" and json.loads(sync["output"]) == {"hello": "world"}, sync
    err = aws("describe-state-machine", "--state-machine-arn", sm + "-missing", fail=True)
    assert "StateMachineDoesNotExist" in err, err
    aws("delete-state-machine-alias", "--state-machine-alias-arn", alias)
    aws("delete-state-machine", "--state-machine-arn", sm)
    print("AWS CLI smoke: create, describe, list, update --publish, alias, start, describe, "
          "history, list-executions, stop, redrive, start-sync-execution, errors, delete: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
