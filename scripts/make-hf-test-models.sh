#!/usr/bin/env bash
# Builds the small Hugging Face-format test models of models/hf-test (llama with GQA and external
# weights, qwen2 with biases and tied embeddings, qwen3 with an explicit head_dim, gpt2, a merged
# decoder, a float16 llama, phi3 with fused projections and partial rotary), exported with Optimum's input and output names, with their PyTorch parity
# references; and the verifiers of models/hf-verifiers, one per public reward-model family, with their
# step-score references (scripts/hf-models/make_verifiers.py). Fixed seeds; seconds.
#   scripts/make-hf-test-models.sh [GENERATORS_DIR [VERIFIERS_DIR]]
# Needs Debian's python3-torch and python3-onnx, and Node for the tokenizers library (prompt ids).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import torch, onnx' 2>/dev/null; then
  echo "needs PyTorch and onnx for $PYTHON: sudo apt-get install -y python3-torch python3-onnx libopenblas0-pthread" >&2
  exit 1
fi
if [ ! -d scripts/hf-fixtures/node_modules ]; then
  (cd scripts/hf-fixtures && npm ci --silent)
fi
"$PYTHON" scripts/hf-models/make_models.py "${1:-models/hf-test}" 2> >(grep -v -e 'TracerWarning' -e 'scores = ' >&2)
"$PYTHON" scripts/hf-models/make_verifiers.py "${2:-models/hf-verifiers}" 2> >(grep -v -e 'TracerWarning' -e 'scores = ' -e 'advanced indexing' -e 'warnings.warn' >&2)
