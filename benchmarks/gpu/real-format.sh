#!/usr/bin/env bash
# On a GPU machine (Python with onnxruntime-gpu, numpy and onnx; no .NET), within 5 minutes: throughput
# of a Hugging Face-format model (models/hf-test/llama-gqa: GQA, weights in model.onnx_data, Optimum's
# input and output names) and of gen-small, N samples of one prompt three ways (no cache, cache one at
# a time, batched from one shared prefill) and at larger N, with the MatMul peak of the same run.
#   benchmarks/gpu/real-format.sh [PROVIDER]      # default CUDAExecutionProvider
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout 300 python3 benchmarks/gpu/onnx_gpu_bench.py --provider "${1:-CUDAExecutionProvider}" \
  --models models/hf-test/llama-gqa models/gen-small --samples 16 --large-batches 64 256 --new-tokens 64 --repeats 2
