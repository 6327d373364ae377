#!/usr/bin/env bash
# The OpenAI Batch API against the native batch API at the same size, in one run on the distributed stack
# (scripts/up.sh) with the Aggregator, Generator and Verifier paused, so the figures are the Router's own:
# native: POST /batches with N problems (time to 202, time until all N are planned);
# openai: POST /v1/files with an N-line JSONL file, then POST /v1/batches (time to each answer, until all
# N are planned), sampling the Router's resident memory every 50 ms during the upload.
# Each batch is cancelled afterwards. Rounds alternate native, openai, openai, native.
#   benchmarks/openai-batch.sh [N=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
work=$(mktemp -d /tmp/ttc-openai.XXXXXX)
. benchmarks/stack.sh
key=$(ConnectionStrings__Platform=$TTC_POSTGRES ttc keys create openai-bench 2>/dev/null)
pgport=$(cat "$TTC_TEST_SERVICES_DIR/pg/port")
workers=$(pgrep -f 'Platform\.(Aggregator|Generator|Verifier)\.dll' | tr '\n' ' ')
kill -STOP $workers
trap 'kill -CONT $workers 2>/dev/null || true; kill $up 2>/dev/null || true; wait $up 2>/dev/null || true; scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"' EXIT
router=$(pgrep -f 'Platform\.Router\.dll' | head -1)
python3 - "$count" "http://127.0.0.1:$TTC_ROUTER_PORT" "$key" "$pgport" "$router" <<'PY'
import json, subprocess, sys, threading, time, urllib.request, uuid
n, base, key, port, router = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
texts = [f"{i % 900 + 100}+{i % 89 + 10}" for i in range(n)]
native = json.dumps({"strategy": "greedy", "generatorModel": "gen-small", "problems": [{"text": t} for t in texts]}).encode()
lines = "".join(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "gen-small:greedy", "messages": [{"role": "user", "content": t}]}}) + "\n" for i, t in enumerate(texts)).encode()
def sql(q):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-At", "-c", q], capture_output=True, text=True).stdout.strip()
def call(method, path, data=None, content_type="application/json"):
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": content_type, "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"{}")
def rss():
    with open(f"/proc/{router}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
def planned(batch, start):
    while sql(f"select count(*) from ttc.runs where batch_id = '{batch}'") != str(n):
        time.sleep(0.2)
    return time.monotonic() - start
def round_native():
    start = time.monotonic()
    batch = call("POST", "/batches", native)["batchId"]
    accepted = time.monotonic() - start
    done = planned(batch, start)
    call("DELETE", f"/batches/{batch}")
    return accepted, done
def round_openai():
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n").encode() + lines + f"\r\n--{boundary}--\r\n".encode()
    peak, before, stop = [0.0], rss(), threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss()); time.sleep(0.05)
    sampler = threading.Thread(target=sample); sampler.start()
    start = time.monotonic()
    file = call("POST", "/v1/files", body, f"multipart/form-data; boundary={boundary}")["id"]
    uploaded = time.monotonic() - start
    stop.set(); sampler.join()
    batch = call("POST", "/v1/batches", json.dumps({"input_file_id": file, "endpoint": "/v1/chat/completions", "completion_window": "24h"}).encode())
    accepted = time.monotonic() - start
    guid = batch["id"][len("batch_"):]
    guid = f"{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:]}"
    done = planned(guid, start)
    call("POST", f"/v1/batches/{batch['id']}/cancel")
    return uploaded, accepted, done, before, peak[0]
print(f"{n:,} problems: native body {len(native) / 1e6:.1f} MB, OpenAI file {len(lines) / 1e6:.1f} MB")
print("| round | surface | file uploaded | accepted (202 / batch created) | all planned | Router RSS before → peak during upload |")
print("|---|---|---|---|---|---|")
for r, surface in enumerate(__import__("os").environ.get("ROUNDS", "native openai openai native").split(), 1):
    if surface == "native":
        a, d = round_native()
        print(f"| {r} | native `POST /batches` | — | {a:.1f} s | {d:.1f} s | — |", flush=True)
    else:
        u, a, d, before, peak = round_openai()
        print(f"| {r} | OpenAI `POST /v1/files` + `/v1/batches` | {u:.1f} s | {a:.1f} s | {d:.1f} s | {before:.0f} → {peak:.0f} MB |", flush=True)
PY
