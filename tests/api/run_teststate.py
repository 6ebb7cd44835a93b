#!/usr/bin/env python3
"""Runs the AWS-recorded TestState cases against a real `stepwise serve` with boto3.

Every case under <conformance>/teststate/*.json is one TestState request and
the response (or error) AWS gave. Cases whose state would call a real service
(`needs` not empty, no mock, a Task state tested, and not a refused request) are
skipped, as the execution corpus skips them. The request is sent as recorded,
with the README's stand-ins put back: `arn:<partition>:` -> `arn:aws:`,
`<region>` -> us-east-1, `<role_arn>` -> a role ARN, each `bindings` token ->
its value, any other `<token>` -> a literal (in a `states:::lambda:<token>`
resource, `invoke`). The answer is normalised the other
way and compared field by field with the recording: the same fields present,
`<token>` placeholders matching any text, `date` matching any timestamp, JSON
text compared as JSON (the recording keeps some texts parsed), numbers by value.
A rejected request must give the recorded error code and, where the recording
verified it, the same message.

Exit status: 0 when exactly the cases in teststate_known_failures.txt fail; 1
when a case fails that is not listed, or a listed case passes.

Usage: run_teststate.py --endpoint http://127.0.0.1:PORT [--dir CONFORMANCE/teststate]
         [--case SUBSTRING] [-v] [--write-known]
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import boto3
import botocore.config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
# The recordings show the role ARN they sent in the account of their stand-in.
ROLE = "arn:aws:iam::111111111111:role/stepwise-teststate"
TOKEN = re.compile(r"<[A-Za-z_][A-Za-z0-9_\-.]*(?::\d+)?>")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
KNOWN = Path(__file__).with_name("teststate_known_failures.txt")


def fill(text, bindings):
    """A recorded request text with the stand-ins replaced by usable values."""
    out = text.replace("arn:<partition>:", "arn:aws:").replace("<region>", "us-east-1")
    out = out.replace("<role_arn>", ROLE)
    for token, value in bindings.items():
        out = out.replace(token, value)
    out = re.sub(r"states:::lambda:<[^>]+>", "states:::lambda:invoke", out)
    return TOKEN.sub(lambda m: re.sub(r"[^A-Za-z0-9]", "", m.group(0)), out)


def fill_value(v, bindings):
    if isinstance(v, str):
        return fill(v, bindings)
    if isinstance(v, list):
        return [fill_value(x, bindings) for x in v]
    if isinstance(v, dict):
        return {k: fill_value(x, bindings) for k, x in v.items()}
    return v


def normalise(text, bindings):
    if TIMESTAMP.fullmatch(text):
        return "date"
    out = text
    for token, value in bindings.items():
        out = out.replace(value, token)
    out = out.replace("arn:aws:", "arn:<partition>:").replace("us-east-1", "<region>")
    return out.replace(ACCOUNT, "111111111111")


def norm_value(v, bindings):
    if isinstance(v, str):
        return normalise(v, bindings)
    if isinstance(v, list):
        return [norm_value(x, bindings) for x in v]
    if isinstance(v, dict):
        return {k: norm_value(x, bindings) for k, x in v.items()}
    return v


def wildcard(pattern, text):
    parts = TOKEN.split(pattern)
    if len(parts) == 1:
        return pattern == text
    regex = ".*?".join(re.escape(p) for p in parts)
    return re.fullmatch(regex, text, re.S) is not None


def parsed(text):
    try:
        return True, json.loads(text)
    except (ValueError, TypeError):
        return False, None


def matches(expected, actual):
    if isinstance(expected, str) and isinstance(actual, str):
        if wildcard(expected, actual):
            return True
        ok_e, e = parsed(expected)
        ok_a, a = parsed(actual)
        return ok_e and ok_a and not isinstance(e, str) and matches(e, a)
    if isinstance(expected, str) or isinstance(actual, str):
        # The recording keeps some JSON texts parsed and some as text.
        if isinstance(expected, str):
            ok, e = parsed(expected)
            return ok and matches(e, actual)
        ok, a = parsed(actual)
        return ok and matches(expected, norm_value(a, {}))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(matches(expected[k], actual[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(matches(e, a) for e, a in zip(expected, actual))
    return expected == actual


def decode(v, bindings):
    """A response field: JSON text parsed (then normalised), other text normalised."""
    if isinstance(v, str):
        ok, p = parsed(v)
        if ok and isinstance(p, (dict, list)):
            return norm_value(p, bindings)
        return normalise(v, bindings)
    if isinstance(v, dict):
        return {k: decode(x, bindings) for k, x in v.items()}
    return v


def first_difference(expected, actual, path=""):
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return (f"{path or 'response'} fields {sorted(actual)} expected {sorted(expected)}")
        for k in expected:
            d = first_difference(expected[k], actual[k], f"{path}.{k}" if path else k)
            if d:
                return d
        return None
    if matches(expected, actual):
        return None
    return f"{path}: {json.dumps(actual)[:200]} expected {json.dumps(expected)[:200]}"


def calls_service(case):
    """Whether answering the case calls a real service: a Task state tested
    without a mock. Requests AWS refused, and other state types, call nothing."""
    if case.get("error"):
        return False
    request = case["request_normalized"]
    definition = request["definition"]
    state = definition
    if "States" in definition:
        state = definition["States"].get(request.get("stateName") or definition.get("StartAt"), {})
    return state.get("Type") == "Task"


def run_case(sfn, case):
    """Returns None when the case passes, else the reason."""
    bindings = case.get("bindings") or {}
    params = fill_value(case["request"], bindings)
    try:
        got = sfn.test_state(**params)
    except ClientError as e:
        code, message = e.response["Error"]["Code"], e.response["Error"].get("Message", "")
        want = case.get("error")
        if not want:
            return f"{code}: {message[:200]}"
        if code != want["code"]:
            return f"error {code} ({message[:160]}) expected {want['code']} ({want['message'][:160]})"
        if want.get("message_verified") and not wildcard(want["message"], normalise(message, bindings)):
            return f"message {message[:200]!r} expected {want['message'][:200]!r}"
        return None
    if case.get("error"):
        return f"answered {got.get('status')}, expected {case['error']['code']}: {case['error']['message'][:160]}"
    got.pop("ResponseMetadata", None)
    actual = decode(got, bindings)
    return first_difference(case["response"], actual)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    default_dir = Path(os.environ.get("STEPWISE_CONFORMANCE_DIR",
                                      Path(__file__).resolve().parents[2].parent / "shared" / "conformance")) / "teststate"
    ap.add_argument("--dir", default=str(default_dir))
    ap.add_argument("--case")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--write-known", action="store_true")
    args = ap.parse_args()

    config = botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1})
    sfn = boto3.client("stepfunctions", endpoint_url=args.endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x", config=config)
    files = sorted(Path(args.dir).glob("*.json"))
    files = [f for f in files if f.name != "summary.json"]
    if not files:
        print(f"no cases under {args.dir}", file=sys.stderr)
        return 1
    failures, passed, skipped = {}, 0, 0
    for f in files:
        case = json.loads(f.read_text())
        if args.case and args.case not in case["id"]:
            continue
        if case.get("needs") and not case.get("mocked") and calls_service(case):
            skipped += 1
            continue
        try:
            why = run_case(sfn, case)
        except Exception as e:  # a client-side failure is this case's failure
            why = f"{type(e).__name__}: {str(e)[:200]}"
        if why is None:
            passed += 1
        else:
            failures[case["id"]] = why
        if args.v:
            print(f"  {case['id']}: {why or 'ok'}")
    print(f"TestState cases through stepwise serve (boto3): {passed} passed, {len(failures)} failed, "
          f"{skipped} skipped (need a real service)")
    if args.write_known:
        lines = ["# TestState cases that fail against stepwise serve, with the reason seen.",
                 "# run_teststate.py fails when a listed case passes or an unlisted one fails."]
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
        for c, w in sorted(failures.items()):
            print(f"  failure {c}: {w}")
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
