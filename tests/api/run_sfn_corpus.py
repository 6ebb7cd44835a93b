#!/usr/bin/env python3
"""Runs the AWS-recorded execution corpus through a real `stepwise serve` with boto3.

For every case under <conformance>/sfn/<category>/*.json that needs no service
(`needs: []`, or only an activity: the runner is its worker, answering with the
recorded results) and is not an invalid definition, the runner creates the state
machine (STANDARD or EXPRESS, as recorded), starts the execution with the
recorded input (StartSyncExecution for EXPRESS), waits for it, and compares
status, output, error and cause, and for Standard executions the sequence of
history event types, with the recording. The corpus README's normalisation
applies: names, account, region and partition replaced by the stand-ins, `<token>`
placeholders matching any text, masks matching anything, JSON text compared as
JSON, numbers by value.

Exit status: 0 when exactly the cases in sfn_known_failures.txt fail; 1 when a
case fails that is not listed, or a listed case passes.

Usage: run_sfn_corpus.py --endpoint http://127.0.0.1:PORT [--dir CONFORMANCE/sfn]
         [--case SUBSTRING] [-v] [--write-known]
"""

import argparse
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

import boto3
import botocore.config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stepwise-corpus"
TOKEN = re.compile(r"<[A-Za-z_][A-Za-z0-9_\-.]*(?::\d+)?>")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
KNOWN = Path(__file__).with_name("sfn_known_failures.txt")


def normalise(text, case, sm_name, exec_name):
    ph = case.get("placeholders") or {}
    out = text
    if TIMESTAMP.fullmatch(out):
        return "date"
    out = out.replace(sm_name, ph.get("state_machine_name", "<ArnPart_0idx>"))
    out = out.replace(exec_name, ph.get("execution_name", "<ExecArnPart_0idx>"))
    out = out.replace("arn:aws:", ph.get("partition", "arn:<partition>:"))
    out = out.replace("us-east-1", ph.get("region", "<region>"))
    out = out.replace(ACCOUNT, "111111111111")
    out = out.replace(ROLE.replace("arn:aws:", "arn:<partition>:").replace(ACCOUNT, "111111111111"),
                      ph.get("role_arn", "snf_role_arn"))
    return out


def norm_value(v, case, sm, ex):
    if isinstance(v, str):
        return normalise(v, case, sm, ex)
    if isinstance(v, list):
        return [norm_value(x, case, sm, ex) for x in v]
    if isinstance(v, dict):
        return {k: norm_value(x, case, sm, ex) for k, x in v.items()}
    return v


def wildcard(pattern, text):
    parts = TOKEN.split(pattern)
    if len(parts) == 1:
        return pattern == text
    regex = ".*?".join(re.escape(p) for p in parts)
    return re.fullmatch(regex, text, re.S) is not None


def matches(expected, actual, masks):
    if isinstance(expected, str) and expected in masks:
        return True
    if isinstance(expected, str) and isinstance(actual, str):
        return wildcard(expected, actual)
    if isinstance(expected, str) or isinstance(actual, str):
        # The corpus keeps some JSON texts parsed and some as text.
        try:
            if isinstance(expected, str):
                return matches(json.loads(expected), actual, masks)
            return matches(expected, json.loads(actual), masks)
        except (ValueError, TypeError):
            return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            matches(expected[k], actual[k], masks) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            matches(e, a, masks) for e, a in zip(expected, actual)
        )
    return expected == actual


def text_field(text, case, sm, ex):
    if text is None:
        return None
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            return norm_value(parsed, case, sm, ex)
    except ValueError:
        pass
    return normalise(text, case, sm, ex)


def work_activity(sfn, case, activity):
    """The activity worker of a case: takes each task with the recorded worker
    name and answers with the recorded result (a recorded States.Timeout is
    left to time out)."""
    started = [e.get("activityStartedEventDetails", {}) for e in case.get("history") or []
               if e["type"] == "ActivityStarted"]
    for i, response in enumerate(r for rs in (case.get("mocks") or {}).values() for r in rs):
        worker = started[i].get("workerName") if i < len(started) else None
        task = sfn.get_activity_task(activityArn=activity, **({"workerName": worker} if worker else {}))
        if "taskToken" not in task:
            return
        if "Return" in response:
            sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(response["Return"]))
        elif response.get("Throw", {}).get("Error") != "States.Timeout":
            thrown = response.get("Throw", {})
            sfn.send_task_failure(taskToken=task["taskToken"], error=thrown.get("Error", ""),
                                  cause=thrown.get("Cause", ""))


def run_case(sfn, case):
    """Returns None when the case passes, else the reason."""
    suffix = uuid.uuid4().hex[:8]
    sm = f"corpus-{suffix}"
    ex = f"run-{suffix}"
    machine_type = case.get("state_machine_type", "STANDARD")
    definition = json.dumps(case["definition"])
    activity = None
    if case.get("needs") == ["activity"]:
        activity = sfn.create_activity(name=f"corpus-{suffix}")["activityArn"]
        definition = definition.replace('"activity_arn"', json.dumps(activity))
        if case["id"].endswith("_on_deleted"):
            sfn.delete_activity(activityArn=activity)
    try:
        arn = sfn.create_state_machine(
            name=sm, roleArn=ROLE, type=machine_type, definition=definition,
        )["stateMachineArn"]
    except ClientError as e:
        return f"CreateStateMachine failed: {e.response['Error']['Code']}: {e.response['Error'].get('Message')}"
    text = json.dumps(case["input"])
    history = None
    if machine_type == "EXPRESS":
        r = sfn.start_sync_execution(stateMachineArn=arn, name=ex, input=text)
        status, output, error, cause = r["status"], r.get("output"), r.get("error"), r.get("cause")
    else:
        execution = sfn.start_execution(stateMachineArn=arn, name=ex, input=text)["executionArn"]
        if activity and not case["id"].endswith("_on_deleted"):
            work_activity(sfn, case, activity)
        deadline = time.time() + 30
        while True:
            d = sfn.describe_execution(executionArn=execution)
            if d["status"] != "RUNNING" or time.time() > deadline:
                break
            time.sleep(0.02)
        status, output, error, cause = d["status"], d.get("output"), d.get("error"), d.get("cause")
        events, token = [], None
        while True:
            kw = {"executionArn": execution, "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            page = sfn.get_execution_history(**kw)
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                break
        history = [e["type"] for e in events]
    if activity:
        # The definition named the activity "activity_arn", and so do the recorded results.
        output, cause = (t.replace(activity, "activity_arn") if t else t for t in (output, cause))
    masks = list(case.get("masks") or []) + [(case.get("placeholders") or {}).get("role_arn", "snf_role_arn")]
    want = case["expected"]
    if status != want["status"]:
        return f"status {status} ({error}: {(cause or '')[:120]}), expected {want['status']}"
    if status == "SUCCEEDED" and "output" in want:
        got = norm_value(json.loads(output), case, sm, ex) if output is not None else None
        if not matches(want["output"], got, masks):
            return f"output {json.dumps(got)[:160]} expected {json.dumps(want['output'])[:160]}"
    if status != "SUCCEEDED":
        if not matches(want.get("error"), error, masks):
            return f"error {error!r} expected {want.get('error')!r}"
        got_cause = text_field(cause, case, sm, ex)
        if not matches(want.get("cause"), got_cause, masks):
            return f"cause {str(got_cause)[:160]!r} expected {str(want.get('cause'))[:160]!r}"
    recorded = case.get("history")
    if history is not None and recorded:
        expected_types = [e["type"] for e in recorded]
        actual_types = history
        if case.get("history_order") == "parallel_sublists_sorted":
            lost = {"ParallelStateSucceeded", "ParallelStateFailed"}
            actual_types = sorted(t for t in history if t not in lost)
            expected_types = sorted(expected_types)
        if actual_types != expected_types:
            at = next((i for i, (a, b) in enumerate(zip(actual_types, expected_types)) if a != b),
                      min(len(actual_types), len(expected_types)))
            return (f"history event {at + 1} is {actual_types[at] if at < len(actual_types) else None}, "
                    f"expected {expected_types[at] if at < len(expected_types) else None}")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    default_dir = Path(os.environ.get("STEPWISE_CONFORMANCE_DIR",
                                      Path(__file__).resolve().parents[2].parent / "shared" / "conformance")) / "sfn"
    ap.add_argument("--dir", default=str(default_dir))
    ap.add_argument("--case")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--write-known", action="store_true")
    args = ap.parse_args()

    config = botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1})
    sfn = boto3.client("stepfunctions", endpoint_url=args.endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x", config=config)
    files = sorted(Path(args.dir).glob("*/*.json"))
    if not files:
        print(f"no cases under {args.dir}", file=sys.stderr)
        return 1
    failures, per_category = {}, {}
    for f in files:
        case = json.loads(f.read_text())
        if case["kind"] == "invalid_definition" or case.get("needs") not in (None, [], ["activity"]):
            continue
        if args.case and args.case not in case["id"]:
            continue
        try:
            why = run_case(sfn, case)
        except ClientError as e:
            why = f"{e.response['Error']['Code']}: {e.response['Error'].get('Message')}"
        counts = per_category.setdefault(case["category"], [0, 0])
        if why is None:
            counts[0] += 1
        else:
            counts[1] += 1
            failures[case["id"]] = why
        if args.v:
            print(f"  {case['id']}: {why or 'ok'}")
    print("ASL corpus through stepwise serve (boto3): passed / failed")
    for cat, (p, n) in sorted(per_category.items()):
        print(f"  {cat:<22} {p:>4} / {n:>4}")
    print(f"  {'total':<22} {sum(c[0] for c in per_category.values()):>4} / {len(failures):>4}")
    if args.write_known:
        lines = ["# ASL corpus cases that fail through stepwise serve, with the reason seen.",
                 "# run_sfn_corpus.py fails when a listed case passes or an unlisted one fails."]
        lines += [f"{cid}  # {why}" for cid, why in sorted(failures.items())]
        KNOWN.write_text("\n".join(lines) + "\n")
        return 0
    known = {}
    if KNOWN.exists():
        for line in KNOWN.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                cid, _, why = line.partition("#")
                known[cid.strip()] = why.strip()
    if args.case:
        return 0
    new = {c: w for c, w in failures.items() if c not in known}
    fixed = [c for c in known if c not in failures]
    for c, w in sorted(failures.items()):
        print(f"  {'known' if c in known else 'NEW'} failure {c}: {w}")
    for c in fixed:
        print(f"  FIXED (remove from {KNOWN.name}): {c}")
    return 1 if new or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
