#!/bin/bash
# Training parity with the official code at the paper regime (issue 13.3): 10 epochs of the main
# config, the same views for both sides, seeds 1..N each side (default N=6; the first record used 2).
#   GHRP_SRC=<checkout>/src HZ_BIN=<release bin> HYPERZOO_PYTHON=<venv with torch> \
#     docs/results/paper-fmnist/parity/run.sh [N] [work folder]
set -euo pipefail
n=${1:-6}
work=${2:-parity-work}
repo=$(cd "$(dirname "$0")/../../../.." && pwd)
bin=${HZ_BIN:-$repo/.build/release}
zoo=$repo/results/paper-fmnist/zoo.h5
mkdir -p "$work" && cd "$work"
[ -f views.h5 ] || "$bin/hz-augment" --checkpoint-epochs 21-25 --epochs 10 --erase 0.5 --noise 0.05 --permutation-bank 25000 --permute --seed 1 --split train --views 2 --output views.h5 "$zoo"
args=()
for s in $(seq 1 "$n"); do
  [ -f hz-seed$s.h5 ] || "$bin/hz-train" --batch-size 64 --blocks 2 --epochs 10 --ff-width 256 --gamma 0.1 --head 4,400,50 --heads 4 --latent 64 --lr 0.003 --seed $s --weight-decay 1e-09 --width 128 --zoo-epochs 21-25 --views views.h5 --output hz-seed$s.h5 "$zoo"
  args+=(--hz hz-seed$s.h5)
done
"${HYPERZOO_PYTHON:-python3}" "$repo/tools/experiments/ghrp_parity.py" --zoo "$zoo" --views views.h5 --zoo-epochs 21-25 "${args[@]}" --out out
