# Handlers for the functions crate's tests: each shows one behaviour of the
# Lambda runtime (result, error, crash, timeout, concurrency, warm reuse).
import os
import time

CALLS = 0


def echo(event, context):
    global CALLS
    CALLS += 1
    return {
        "event": event,
        "pid": os.getpid(),
        "calls": CALLS,
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "memory": context.memory_limit_in_mb,
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "greeting": os.environ.get("GREETING"),
    }


class PaymentDeclined(Exception):
    pass


def fail(event, context):
    raise PaymentDeclined("card %s declined" % event.get("card"))


def crash(event, context):
    os._exit(3)


def slow(event, context):
    if "pidfile" in event:
        with open(event["pidfile"], "w") as f:
            f.write(str(os.getpid()))
    time.sleep(event.get("seconds", 1))
    return {"pid": os.getpid(), "slept": event.get("seconds", 1)}


def noop(event, context):
    return event


def callback(event, context):
    """Answers its own task token (a .waitForTaskToken task) through the API."""
    import boto3

    sfn = boto3.client("stepfunctions", endpoint_url=event["endpoint"], region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    sfn.send_task_success(taskToken=event["token"], output='{"approved": true}')
    return {"sent": True}
