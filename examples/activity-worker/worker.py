#!/usr/bin/env python3
"""An activity worker: a plain boto3 loop, exactly as for AWS Step Functions.

    AWS_ENDPOINT_URL=http://127.0.0.1:8083 python3 worker.py \
        --activity-arn arn:aws:states:us-east-1:123456789012:activity:word-count

Without AWS_ENDPOINT_URL the same code talks to AWS. Stop it with Ctrl-C.
"""

import argparse
import json
import socket

import boto3
from botocore.config import Config


class InvalidInput(Exception):
    """The task's input cannot be worked on: reported as Worker.InvalidInput."""


def count_words(task_input, heartbeat):
    text = task_input.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("'text' must be a non-empty string")
    words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
    counts = {}
    for i, word in enumerate(words):
        counts[word] = counts.get(word, 0) + 1
        if i % 1000 == 999:
            heartbeat()  # long documents: tell Step Functions we are alive
    heartbeat()
    top = max(sorted(counts), key=counts.get)
    return {"words": len(words), "distinct": len(counts), "top": top}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--activity-arn", required=True)
    ap.add_argument("--worker-name", default=socket.gethostname())
    args = ap.parse_args()
    # GetActivityTask long-polls for up to 60 s: read_timeout must be longer.
    sfn = boto3.client("stepfunctions", config=Config(read_timeout=70, retries={"max_attempts": 3}))
    print(f"{args.worker_name}: polling {args.activity_arn}", flush=True)
    while True:
        task = sfn.get_activity_task(activityArn=args.activity_arn, workerName=args.worker_name)
        token = task.get("taskToken")
        if not token:
            continue  # the poll ended without a task
        try:
            result = count_words(json.loads(task["input"]),
                                 lambda: sfn.send_task_heartbeat(taskToken=token))
        except InvalidInput as e:
            sfn.send_task_failure(taskToken=token, error="Worker.InvalidInput", cause=str(e))
            print(f"{args.worker_name}: rejected a task: {e}", flush=True)
            continue
        except Exception as e:  # anything else fails the task with the exception's name
            sfn.send_task_failure(taskToken=token, error=type(e).__name__, cause=str(e)[:32768])
            continue
        sfn.send_task_success(taskToken=token, output=json.dumps(result))
        print(f"{args.worker_name}: done {result}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
