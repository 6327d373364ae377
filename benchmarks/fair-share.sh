#!/usr/bin/env bash
# The fair share's price and gain, one configuration after the other on the same machine: a PROBLEMS-problem
# greedy batch run to completion on the distributed stack, and a second key's 10-problem batch submitted
# SMALL_AFTER seconds in; first with no admission limit (every planned run let out at once, first come first
# served: the platform before the scheduler), then with the default Router:Admission settings.
#   benchmarks/fair-share.sh [PROBLEMS=30000] [SMALL_AFTER=30]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-30000}; after=${2:-30}
echo "fair share: $count problems, small batch $after s in; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC"
echo "| admission | problems | large batch to completion | throughput | small batch to completion |"
echo "|---|---|---|---|---|"
off=$(Router__Admission__MaxRunsInFlight=0 benchmarks/large-batch.sh "$count" greedy complete "$after" | tail -1)
echo "| no limit (before) $off"
on=$(benchmarks/large-batch.sh "$count" greedy complete "$after" | tail -1)
echo "| fair share (MaxRunsInFlight ${Router__Admission__MaxRunsInFlight:-1024}) $on"
python3 - "$off" "$on" <<'PY'
import re, sys
rate = lambda row: float(re.search(r"(\d+) problems/s", row).group(1))
print(f"throughput with the fair share / without: {rate(sys.argv[2]) / rate(sys.argv[1]):.3f}")
PY
