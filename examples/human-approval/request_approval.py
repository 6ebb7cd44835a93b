"""Records an approval request: the change (read from standard input) and the
task token Stepwise passes in STEPWISE_TASK_TOKEN, as <INBOX>/<execution name>.json.
A real one would send an e-mail or a chat message with approve/reject links."""

import json
import os
import sys
import time

change = json.load(sys.stdin)
execution = os.environ["EXECUTION"]
inbox = os.environ["INBOX"]
os.makedirs(inbox, exist_ok=True)
request = {
    "execution": execution,
    "change": change,
    "taskToken": os.environ["STEPWISE_TASK_TOKEN"],
    "requestedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
path = os.path.join(inbox, execution.rsplit(":", 1)[-1] + ".json")
# Written then renamed, so a reader never sees half a file.
with open(path + ".tmp", "w") as f:
    json.dump(request, f, indent=2)
os.replace(path + ".tmp", path)
print(f"approval requested for {change.get('id')}: {path}", file=sys.stderr)
