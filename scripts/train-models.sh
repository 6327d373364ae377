#!/usr/bin/env bash
# Reproduces the shipped models from scratch on a CPU (2 cores: about two hours), with fixed seeds:
# held-out set -> gen-small -> gen-large -> Monte-Carlo step labels (samples from gen-small, rollouts by
# gen-large) -> prm -> evaluations -> model cards.
# Run folders (weights, curves) go to runs/ (not committed); models/ is overwritten.
# Steps can be picked: ./scripts/train-models.sh gen-small prm gen-large cards
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(data gen-small gen-large prm cards)
want() { [[ " ${steps[*]} " == *" $1 "* ]]; }

dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
dotnet build tools/Platform.Training -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
train() { dotnet tools/Platform.Training/bin/Release/net10.0/ttc-train.dll "$@"; }
HELD=data/arith/heldout.jsonl
mkdir -p runs

GEN_SMALL="ttc-train gen --size small --steps 5000 --lr 1e-3 --seed 1 --checkpoint-every 250 --heldout $HELD --out runs/gen-small"
PRM_DATA="ttc-train prm-data --model models/gen-small --completer models/gen-large --problems 3000 --samples 4 --rollouts 4 --temperature 0.8 --seed 4 --heldout $HELD --out runs/prm-data.jsonl"
PRM="ttc-train prm --data runs/prm-data.jsonl --init runs/gen-small --steps 3000 --lr 1e-4 --seed 3 --out runs/prm"
GEN_LARGE="ttc-train gen --size large --steps 6000 --lr 8e-4 --seed 1 --checkpoint-every 1000 --heldout $HELD --out runs/gen-large"

if want data; then ttc datasets arith --count 600 --seed 424242 --out "$HELD"; fi
if want gen-small; then
  train ${GEN_SMALL#ttc-train }
  train export --run runs/gen-small --name gen-small --out models/gen-small
fi
if want gen-large; then
  train ${GEN_LARGE#ttc-train }
  train export --run runs/gen-large --name gen-large --out models/gen-large
fi
if want prm; then
  train ${PRM_DATA#ttc-train }
  train ${PRM#ttc-train }
  train export --run runs/prm --name prm --out models/prm
fi
if want cards; then
  train evaluate --model models/gen-small --prm models/prm --heldout "$HELD" --samples 16 --temperature 0.8 --seed 1 --out runs/eval-gen-small.json
  train evaluate --model models/gen-large --heldout "$HELD" --samples 16 --temperature 0.8 --seed 1 --out runs/eval-gen-large.json
  train card --model models/gen-small --eval runs/eval-gen-small.json --reproduce "$GEN_SMALL" >/dev/null
  train card --model models/prm --eval runs/eval-gen-small.json --reproduce "$PRM_DATA && $PRM" >/dev/null
  train card --model models/gen-large --eval runs/eval-gen-large.json --baseline runs/eval-gen-small.json --reproduce "$GEN_LARGE" >/dev/null
  echo "model cards written: models/*/MODEL_CARD.md"
fi
