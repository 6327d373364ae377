#!/usr/bin/env bash
# The Verifier service against its own engine on the same solutions (issue 26, "through the Verifier service
# >= 85% of standalone"): a throwaway RabbitMQ (scripts/services.sh), the Verifier service alone
# (services/Verifier, its catalog naming each verifier folder), and ttc-bench scoring-service, which scores
# the generator's 16 solutions of each problem in its own process (ttc-bench scoring's engine) and then
# sends the same solutions to the service as one ScoreCandidates command per problem, in turn, REPEATS times.
# No Generator runs, so the two sides have the same machine; the service's rate runs from the first command
# sent to the last reply received.
#   benchmarks/verifier-service.sh [VERIFIER_DIR ...]   (default: models/hf-arith-prm models/hf-verifiers/math-shepherd)
#   GENERATOR=models/hf-arith PROBLEMS=200 REPEATS=4 THREADS=0 (ONNX Runtime intra-op threads for both sides; 0 = one per core)
set -euo pipefail
cd "$(dirname "$0")/.."
generator=${GENERATOR:-models/hf-arith}; problems=${PROBLEMS:-200}; repeats=${REPEATS:-4}; threads=${THREADS:-0}
verifiers=("$@"); [ ${#verifiers[@]} -gt 0 ] || verifiers=(models/hf-arith-prm models/hf-verifiers/math-shepherd)
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
work=$(mktemp -d /tmp/ttc-verifier-service.XXXXXX)
eval "$(scripts/services.sh start)"
verifier_pid=
trap '[ -n "$verifier_pid" ] && kill $verifier_pid 2>/dev/null; wait 2>/dev/null; scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"; rm -rf "$work"' EXIT
export Messaging__Transport=RabbitMq Messaging__RabbitMq__Host=$TTC_TEST_RABBITMQ_HOST Messaging__RabbitMq__Port=$TTC_TEST_RABBITMQ_PORT
export Messaging__RabbitMq__Username=$TTC_TEST_RABBITMQ_USER Messaging__RabbitMq__Password=$TTC_TEST_RABBITMQ_PASSWORD Inference__IntraOpThreads=$threads
catalog=()
for v in "${verifiers[@]}"; do catalog+=("Models__Catalog__$(basename "$v")=$(realpath "$v")"); done
env "${catalog[@]}" dotnet services/Verifier/bin/Release/net10.0/Platform.Verifier.dll >"$work/verifier.log" 2>&1 & verifier_pid=$!
for _ in $(seq 1 240); do grep -q "verifier ready" "$work/verifier.log" && break; kill -0 $verifier_pid 2>/dev/null || break; sleep 0.5; done
grep -q "verifier ready" "$work/verifier.log" || { tail -30 "$work/verifier.log"; exit 1; }
echo "machine: $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC; commit $(git rev-parse --short HEAD); generator $generator, $problems problems x 16, $threads intra-op threads (0 = default)"
for v in "${verifiers[@]}"; do
  echo; echo "verifier $v:"
  dotnet benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench.dll scoring-service --model "$generator" --scorer "$v" --samples 16 \
    --file data/arith/heldout.jsonl --limit "$problems" --repeats "$repeats" --threads "$threads" | grep -E '^\|'
done
