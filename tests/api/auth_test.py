#!/usr/bin/env python3
"""Authentication against a real `stepwise serve` started with credentials:
boto3 and the AWS CLI with the right keys succeed; a wrong secret is
InvalidSignatureException, an unknown key or a wrong session token is
UnrecognizedClientException, an unsigned request is
MissingAuthenticationTokenException, a malformed Authorization header is
IncompleteSignatureException, a signature older than 15 minutes is
InvalidSignatureException — each as botocore reports it (HTTP 400).

Usage: auth_test.py --stepwise PATH-TO-stepwise [--aws PATH-TO-aws]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config
from botocore.exceptions import ClientError

KEY, SECRET = "AKIDSTEPWISETEST", "right-secret/with+chars"
TEMP_KEY, TEMP_SECRET, TOKEN = "ASIASTEPWISETEMP", "temp-secret", "session-token-1"
REGION = "us-east-1"

failures = []
passes = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}" + (f": {detail}" if detail and not cond else ""))
    (passes if cond else failures).append(name)


def start_server(stepwise, tmp):
    creds = os.path.join(tmp, "credentials")
    with open(creds, "w") as f:
        f.write(f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\n"
                f"[temp]\naws_access_key_id = {TEMP_KEY}\naws_secret_access_key = {TEMP_SECRET}\n"
                f"aws_session_token = {TOKEN}\n")
    log = open(os.path.join(tmp, "serve.log"), "w+")
    proc = subprocess.Popen([stepwise, "serve", "--port", "0", "--data-dir", os.path.join(tmp, "data"),
                             "--credentials-file", creds], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(400):
        log.seek(0)
        text = log.read()
        if "listening on" in text and "authentication:" in text:
            endpoint = text.split("listening on ")[1].split()[0]
            return proc, endpoint, text
        if proc.poll() is not None:
            sys.exit(f"stepwise serve exited:\n{text}")
        time.sleep(0.05)
    proc.kill()
    sys.exit("stepwise serve did not start")


def client(endpoint, key, secret, token=None):
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}))


def error_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["Error"].get("Message", "")
    return None, 200, ""


def raw_post(endpoint, headers, body=b"{}"):
    req = urllib.request.Request(endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class PastSigV4(botocore.auth.SigV4Auth):
    """Signs as if the clock were 20 minutes behind."""

    def _modify_request_before_signing(self, request):
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        request.context["timestamp"] = past.strftime(botocore.auth.SIGV4_TIMESTAMP)
        super()._modify_request_before_signing(request)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepwise", required=True)
    ap.add_argument("--aws", default="aws")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, endpoint, log = start_server(args.stepwise, tmp)
        try:
            run(endpoint, log, args.aws)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"auth: {len(passes)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def run(endpoint, log, aws):
    check("start message says authentication is on", "authentication: on" in log, log)

    good = client(endpoint, KEY, SECRET)
    arn = good.create_activity(name="auth-ok")["activityArn"]
    check("boto3 with the right secret succeeds",
          any(a["activityArn"] == arn for a in good.list_activities()["activities"]))

    code, status, msg = error_of(lambda: client(endpoint, KEY, "wrong").list_activities())
    check("wrong secret -> InvalidSignatureException 400",
          (code, status) == ("InvalidSignatureException", 400), (code, status, msg))
    check("wrong secret message is AWS's", msg.startswith("The request signature we calculated does not match"),
          msg)

    code, status, msg = error_of(lambda: client(endpoint, "AKIDUNKNOWN", SECRET).list_activities())
    check("unknown key -> UnrecognizedClientException 400",
          (code, status, msg) == ("UnrecognizedClientException", 400,
                                  "The security token included in the request is invalid."),
          (code, status, msg))

    temp = client(endpoint, TEMP_KEY, TEMP_SECRET, TOKEN)
    check("session token: the configured one succeeds", "activities" in temp.list_activities())
    code, status, _ = error_of(lambda: client(endpoint, TEMP_KEY, TEMP_SECRET, "other").list_activities())
    check("session token: a wrong one -> UnrecognizedClientException", code == "UnrecognizedClientException",
          code)

    # A modelled error still comes through for a signed request.
    code, status, _ = error_of(lambda: good.describe_activity(activityArn=arn + "x"))
    check("signed request reaches the action (ActivityDoesNotExist)", code == "ActivityDoesNotExist", code)

    base = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListActivities"}
    status, body = raw_post(endpoint, base)
    check("unsigned -> MissingAuthenticationTokenException 400",
          status == 400 and body.get("__type", "").endswith("#MissingAuthenticationTokenException"),
          (status, body))
    status, body = raw_post(endpoint, dict(base, Authorization="AWS4-HMAC-SHA256 Credential=x"))
    check("incomplete Authorization -> IncompleteSignatureException 400",
          status == 400 and body.get("__type", "").endswith("#IncompleteSignatureException"), (status, body))

    # A signature made 20 minutes ago.
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=b"{}", headers=dict(base))
    PastSigV4(botocore.credentials.Credentials(KEY, SECRET), "states", REGION).add_auth(req)
    status, body = raw_post(endpoint, dict(req.headers.items()))
    check("20 min old signature -> InvalidSignatureException (Signature expired)",
          status == 400 and body.get("__type", "").endswith("#InvalidSignatureException")
          and body.get("message", "").startswith("Signature expired"), (status, body))

    # The server keeps serving after the refusals.
    check("still serving", "activities" in good.list_activities())

    env = dict(os.environ, AWS_DEFAULT_REGION=REGION, AWS_PAGER="")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(k, None)

    def cli(key, secret):
        return subprocess.run([aws, "stepfunctions", "list-activities", "--endpoint-url", endpoint,
                               "--output", "json"],
                              env=dict(env, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret),
                              capture_output=True, text=True)

    p = cli(KEY, SECRET)
    check("AWS CLI with the right keys succeeds",
          p.returncode == 0 and any(a["activityArn"] == arn for a in json.loads(p.stdout)["activities"]),
          p.stderr)
    p = cli(KEY, "wrong")
    check("AWS CLI with a wrong secret reports InvalidSignatureException",
          p.returncode != 0 and "InvalidSignatureException" in p.stderr, p.stderr)
    p = cli("AKIDUNKNOWN", SECRET)
    check("AWS CLI with an unknown key reports UnrecognizedClientException",
          p.returncode != 0 and "UnrecognizedClientException" in p.stderr, p.stderr)


if __name__ == "__main__":
    main()
