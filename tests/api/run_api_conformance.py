#!/usr/bin/env python3
"""Runs the Step Functions API conformance cases against a real `stepwise serve`
through boto3, and compares the outcome with known_failures.txt.

Each case under <conformance>/api/<category>/*.json is a sequence of API calls
recorded against AWS (format: the corpus README). For every step the runner sends
the request, and where the recording has a response or an error, compares:
responses by value after normalisation (account, region and partition replaced
by the corpus's stand-ins, timestamps matching any timestamp token, JSON text
compared as JSON, placeholder tokens matching any text consistently within the
case), errors by code and, where the message was verified on AWS, by message.

Members that AWS added to its responses after a case was recorded
(LATER_FIELDS) are accepted when that recording lacks them.

Resource names are made unique per run (a suffix is added to every valid name a
case creates), so all cases share one server.

Exit status: 0 when exactly the cases in known_failures.txt fail; 1 when a case
fails that is not listed, or a listed case passes (remove it from the list).

Usage: run_api_conformance.py --endpoint http://127.0.0.1:PORT
         [--dir CONFORMANCE/api] [--case SUBSTRING] [-v]
"""

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path

import boto3
import botocore.config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stepwise-conformance"
STANDINS = {"<partition>", "<region>", "<role_arn>"}
ANGLE = re.compile(r"<[A-Za-z_][A-Za-z0-9_\-]*(?::\d+)?>")
VALID_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")
# Response members AWS added after some recordings were made: accepted when an
# older recording lacks them (compared when it has them).
# (encryptionConfiguration came with customer-managed keys in 2024, redriveCount
# with redrive in 2023.)
LATER_FIELDS = {"encryptionConfiguration", "redriveCount"}
EXECUTION_READS = {
    "DescribeExecution",
    "GetExecutionHistory",
    "ListExecutions",
    "DescribeStateMachineForExecution",
}


def to_real(text):
    """Corpus stand-ins -> this server's values."""
    return (
        text.replace("arn:<partition>:", "arn:aws:")
        .replace("<partition>", "aws")
        .replace("<region>", REGION)
        .replace("111111111111", ACCOUNT)
        .replace("<role_arn>", ROLE)
    )


def to_standin(text):
    """This server's values -> the corpus's stand-ins."""
    return (
        text.replace(ROLE, "<role_arn>")
        .replace("arn:aws:", "arn:<partition>:")
        .replace(REGION, "<region>")
        .replace(ACCOUNT, "111111111111")
    )


class Mismatch(Exception):
    pass


class Case:
    def __init__(self, data, suffix):
        self.data = data
        self.suffix = suffix
        self.renames = {}  # recorded name -> unique name used in this run
        self.learned = {}  # wildcard token -> actual value (stand-in form)
        self.bindings = dict(data.get("bindings") or {})
        tokens = set(data.get("placeholders") or []) | set(self.bindings)
        self.tokens = sorted((t for t in tokens if t not in STANDINS), key=len, reverse=True)
        self.started = []

    # ---- names ----
    def rename_text(self, text):
        for old, new in sorted(self.renames.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(r"(?<![A-Za-z0-9_\-])" + re.escape(old) + r"(?![A-Za-z0-9_\-])", new, text)
        return text

    def register_name(self, step):
        if step["action"] not in ("CreateStateMachine", "CreateActivity"):
            return
        name = step["request"].get("name")
        if isinstance(name, str) and VALID_NAME.match(name) and name not in self.renames:
            self.renames[name] = f"{name}-{self.suffix}"

    # ---- requests ----
    def substitute(self, text):
        """Learned tokens, then bound tokens, then stand-ins, in a request string."""
        for tok in self.tokens:
            if tok in self.learned:
                value = self.learned[tok]
            elif tok in self.bindings:
                value = self.bindings[tok]
            else:
                continue
            if tok.startswith("<"):
                text = text.replace(tok, value)
            else:
                text = re.sub(
                    r"(?<![A-Za-z0-9_])" + re.escape(tok) + r"(?![A-Za-z0-9_])",
                    lambda _m, v=value: v,
                    text,
                )
        return to_real(self.rename_text(text))

    def build(self, value, raw):
        if isinstance(raw, str) and not isinstance(value, str):
            # JSON text that the corpus parsed: send the recorded text byte for byte.
            return to_real(self.rename_text(raw))
        if isinstance(value, dict):
            raw = raw if isinstance(raw, dict) else {}
            return {k: self.build(v, raw.get(k)) for k, v in value.items()}
        if isinstance(value, list):
            raw = raw if isinstance(raw, list) else []
            return [self.build(v, raw[i] if i < len(raw) else None) for i, v in enumerate(value)]
        if isinstance(value, str):
            text = self.substitute(value)
            if isinstance(raw, str) and any(t not in STANDINS for t in ANGLE.findall(text)):
                # A token no earlier response explained: send what the recording sent.
                return to_real(self.rename_text(raw))
            return text
        return value

    # ---- comparison ----
    def pattern(self, expected):
        """A regex for an expected string; returns (regex, wildcard tokens in order)."""
        parts, names = [], []
        alternatives = [re.escape(t) for t in self.tokens] + [ANGLE.pattern]
        rx = re.compile("|".join(alternatives))
        pos = 0
        for m in rx.finditer(expected):
            tok = m.group(0)
            if tok in STANDINS:
                continue
            if not tok.startswith("<"):
                before = expected[m.start() - 1] if m.start() > 0 else ""
                after = expected[m.end()] if m.end() < len(expected) else ""
                if re.match(r"[A-Za-z0-9_]", before) or re.match(r"[A-Za-z0-9_]", after):
                    continue
            parts.append(re.escape(expected[pos : m.start()]))
            pos = m.end()
            if tok in self.learned:
                parts.append(re.escape(self.learned[tok]))
            elif tok in self.bindings and not tok.startswith("<"):
                parts.append(re.escape(self.rename_text(self.bindings[tok])))
            elif tok in names:
                parts.append(f"(?P=g{names.index(tok)})")
            else:
                parts.append(f"(?P<g{len(names)}>.*?)")
                names.append(tok)
        parts.append(re.escape(expected[pos:]))
        return "".join(parts), names

    def match_str(self, expected, actual, path):
        actual_s = to_standin(actual)
        regex, names = self.pattern(expected)
        m = re.fullmatch(regex, actual_s, re.S)
        if not m:
            raise Mismatch(f"{path}: expected {expected!r}, got {actual_s!r}")
        for i, tok in enumerate(names):
            self.learned.setdefault(tok, m.group(f"g{i}"))

    def compare(self, expected, actual, path="$"):
        if isinstance(actual, datetime.datetime):
            if not isinstance(expected, str):
                raise Mismatch(f"{path}: expected {expected!r}, got a timestamp")
            return
        if isinstance(actual, str) and not isinstance(expected, str):
            try:
                actual = json.loads(actual)
            except ValueError:
                raise Mismatch(f"{path}: expected {expected!r}, got text {actual!r}")
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                raise Mismatch(f"{path}: expected an object, got {actual!r}")
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected) - LATER_FIELDS)
            if missing or extra:
                raise Mismatch(f"{path}: missing keys {missing}, unexpected keys {extra}")
            for k in expected:
                self.compare(expected[k], actual[k], f"{path}.{k}")
        elif isinstance(expected, list):
            if not isinstance(actual, list) or len(actual) != len(expected):
                raise Mismatch(f"{path}: expected {len(expected)} items, got {actual!r}")
            for i, (e, a) in enumerate(zip(expected, actual)):
                self.compare(e, a, f"{path}[{i}]")
        elif isinstance(expected, str):
            if not isinstance(actual, str):
                raise Mismatch(f"{path}: expected {expected!r}, got {actual!r}")
            self.match_str(expected, actual, path)
        elif expected != actual or type(expected) is not type(actual):
            raise Mismatch(f"{path}: expected {expected!r}, got {actual!r}")


def call(client, action, params):
    method = getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
    try:
        out = method(**params)
        out.pop("ResponseMetadata", None)
        return out, None
    except ClientError as e:
        err = e.response.get("Error", {})
        return None, (err.get("Code"), err.get("Message"))


def wait_for(client, arns, timeout=10.0):
    deadline = time.time() + timeout
    for arn in arns:
        while time.time() < deadline:
            out, err = call(client, "DescribeExecution", {"executionArn": arn})
            if err or out.get("status") != "RUNNING":
                break
            time.sleep(0.05)


def run_case(client, data, suffix, verbose):
    case = Case(data, suffix)
    exec_count = 0
    for i, step in enumerate(data["steps"]):
        action = step["action"]
        case.register_name(step)
        params = case.build(step["request_normalized"], step["request"])
        if action in EXECUTION_READS and ("response" in step or "error" in step):
            wait_for(client, case.started)
        out, err = call(client, action, params)
        where = f"step {i} {action}"
        if verbose:
            print(f"    {where} {json.dumps(params, default=str)[:200]} -> {out or err}")
        if out and action in ("StartExecution", "StartSyncExecution") and "executionArn" in out:
            case.started.append(out["executionArn"])
            if "response" not in step:
                tok = f"<ExecArnPart_{exec_count}idx>"
                case.learned.setdefault(tok, out["executionArn"].rsplit(":", 1)[-1])
            exec_count += 1
        if "error" in step:
            want = step["error"]
            if err is None:
                raise Mismatch(f"{where}: expected error {want['code']}, got {out}")
            if err[0] != want["code"]:
                raise Mismatch(f"{where}: expected error {want['code']}, got {err[0]}: {err[1]}")
            if want.get("message_verified") and want.get("message") is not None:
                case.match_str(want["message"], err[1] or "", f"{where} message")
        elif "response" in step:
            if err is not None:
                raise Mismatch(f"{where}: expected a response, got {err[0]}: {err[1]}")
            case.compare(step["response"], out, where)
        elif step.get("expect_error") is True and err is None:
            raise Mismatch(f"{where}: expected an error, got {out}")
        elif step.get("expect_error") is False and err is not None:
            raise Mismatch(f"{where}: unexpected error {err[0]}: {err[1]}")


def conformance_dir(arg):
    if arg:
        return Path(arg)
    base = os.environ.get("STEPWISE_CONFORMANCE_DIR")
    if base:
        return Path(base) / "api"
    here = Path(__file__).resolve().parents[2]
    for d in (here.parent / "shared" / "conformance", Path("/work/shared/conformance")):
        if (d / "api").is_dir():
            return d / "api"
    sys.exit("error: conformance cases not found; set STEPWISE_CONFORMANCE_DIR")


def read_known(path):
    known = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                case_id, _, reason = line.partition("#")
                known[case_id.strip()] = reason.strip()
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--dir")
    ap.add_argument("--known-failures", default=str(Path(__file__).with_name("known_failures.txt")))
    ap.add_argument("--case", help="run only cases whose id contains this")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--write-known", action="store_true", help="rewrite the known-failures file")
    args = ap.parse_args()

    client = boto3.client(
        "stepfunctions",
        endpoint_url=args.endpoint,
        region_name=REGION,
        aws_access_key_id="stepwise",
        aws_secret_access_key="stepwise",
        config=botocore.config.Config(
            parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 1}
        ),
    )
    root = conformance_dir(args.dir)
    files = sorted(root.glob("*/*.json"))
    known = read_known(Path(args.known_failures))
    run_id = format(int(time.time() * 1000) % 36**6, "x")
    results = {}
    failures = {}
    for n, f in enumerate(files):
        data = json.loads(f.read_text())
        if args.case and args.case not in data["id"]:
            continue
        try:
            run_case(client, data, f"{run_id}{n}", args.verbose)
            results[data["id"]] = (data["category"], True)
        except Mismatch as e:
            results[data["id"]] = (data["category"], False)
            failures[data["id"]] = str(e)
        except Exception as e:  # a crash of the runner or the connection is a failure too
            results[data["id"]] = (data["category"], False)
            failures[data["id"]] = f"{type(e).__name__}: {e}"

    by_cat = {}
    for case_id, (cat, ok) in results.items():
        c = by_cat.setdefault(cat, [0, 0])
        c[0 if ok else 1] += 1
    print("API conformance (boto3 against stepwise serve):")
    for cat in sorted(by_cat):
        p, fl = by_cat[cat]
        print(f"  {cat:22} {p:4} passed {fl:4} failed")
    total_pass = sum(c[0] for c in by_cat.values())
    print(f"  {'total':22} {total_pass:4} passed {len(results) - total_pass:4} failed of {len(results)}")

    unexpected = sorted(c for c in failures if c not in known)
    fixed = sorted(c for c, (_, ok) in results.items() if ok and c in known)
    for c in sorted(failures):
        mark = "known" if c in known else "NEW"
        if args.verbose or mark == "NEW":
            print(f"  [{mark}] {c}: {failures[c]}")
    if args.write_known:
        lines = ["# API conformance cases that fail today, one id a line, with the reason.",
                 "# tests/api/run_api_conformance.py fails when a listed case passes or an",
                 "# unlisted one fails."]
        for c in sorted(failures):
            lines.append(f"{c}  # {known.get(c) or failures[c][:160]}")
        Path(args.known_failures).write_text("\n".join(lines) + "\n")
        print(f"wrote {args.known_failures}")
        return 0
    if fixed:
        print("listed in known_failures.txt but passing now (remove them):")
        for c in fixed:
            print(f"  {c}")
    if args.case:
        return 0 if not failures else 1
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
