#!/usr/bin/env python3
"""A full disk under a running `stepwise serve`, with boto3.

The data directory is on a tiny tmpfs (4 MiB). Some executions are started,
then the file system is filled: StartExecution must fail with an AWS-shaped
error (InternalFailure naming the storage problem) and nothing else; once the
space is freed, starts are accepted again without a restart. After a restart
every execution that was accepted is there and still RUNNING, and nothing
that was refused is.

Mounting needs root with CAP_SYS_ADMIN: without it the test says so and
passes without running (exit 0).

Usage: disk_full_test.py --stepwise PATH-TO-stepwise
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

ROLE = "arn:aws:iam::123456789012:role/stepwise-disk"
failures = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    if not cond:
        failures.append(name)


def serve(stepwise, data):
    proc = subprocess.Popen(
        [stepwise, "serve", "--port", "0", "--data-dir", data],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if "listening on" in line:
            endpoint = line.split("listening on ")[1].split()[0]
            sfn = boto3.client(
                "stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="y",
                config=Config(retries={"max_attempts": 1}))
            return proc, sfn
    proc.kill()
    raise RuntimeError("stepwise serve did not start")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(stepwise, mnt):
    data = os.path.join(mnt, "data")
    proc, sfn = serve(stepwise, data)
    try:
        sm = sfn.create_state_machine(name="waits", roleArn=ROLE, definition=json.dumps({
            "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}))[
            "stateMachineArn"]
        accepted = []
        for i in range(20):
            accepted.append(sfn.start_execution(stateMachineArn=sm, name=f"before-{i}")["executionArn"])
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
            except OSError:
                pass
        refused, other = [], []
        pad = json.dumps({"pad": "y" * 4000})
        for i in range(200):
            name = f"full-{i}"
            try:
                accepted.append(sfn.start_execution(stateMachineArn=sm, name=name, input=pad)["executionArn"])
            except ClientError as e:
                err = e.response["Error"]
                if err["Code"] == "InternalFailure" and "disk is full" in err["Message"]:
                    refused.append(name)
                else:
                    other.append(err)
        check("a full disk refuses starts with InternalFailure naming it", len(refused) > 0,
              f"{len(refused)} refused")
        check("no other kind of error", not other, str(other[:2]))
        os.remove(filler)
        try:
            accepted.append(sfn.start_execution(stateMachineArn=sm, name="after")["executionArn"])
            check("starts are accepted again once space is freed", True)
        except ClientError as e:
            check("starts are accepted again once space is freed", False, str(e))
    finally:
        stop(proc)
    proc, sfn = serve(stepwise, data)
    try:
        statuses = {a: sfn.describe_execution(executionArn=a)["status"] for a in accepted}
        check("every accepted execution survives a restart, RUNNING",
              set(statuses.values()) == {"RUNNING"}, str(statuses))
        listed = {e["executionArn"] for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=sm) for e in page["executions"]}
        check("only accepted executions are stored", listed == set(accepted),
              f"{len(listed)} listed, {len(accepted)} accepted")
    finally:
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as mnt:
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt],
                               capture_output=True, text=True)
        if mount.returncode != 0:
            print(f"skipped: cannot mount a tmpfs here ({mount.stderr.strip()})")
            return 0
        try:
            run(args.stepwise, mnt)
        finally:
            subprocess.run(["umount", mnt])
    if failures:
        print(f"{len(failures)} disk-full checks failed: {failures}")
        return 1
    print("all disk-full checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
