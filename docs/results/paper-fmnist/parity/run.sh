#!/bin/bash
# Training parity with the official code at the paper regime (issue 13.3): 10 epochs of the main config.
set -euo pipefail
cd /work/exp/parity
[ -f views.h5 ] || /work/paper-bin/hz-augment --checkpoint-epochs 21-25 --epochs 10 --erase 0.5 --noise 0.05 --permutation-bank 25000 --permute --seed 1 --split train --views 2 --output views.h5 /work/main/results/paper-fmnist/zoo.h5
for s in 1 2; do
  [ -f hz-seed$s.h5 ] || /work/paper-bin/hz-train --batch-size 64 --blocks 2 --epochs 10 --ff-width 256 --gamma 0.1 --head 4,400,50 --heads 4 --latent 64 --lr 0.003 --seed $s --weight-decay 1e-09 --width 128 --zoo-epochs 21-25 --views views.h5 --output hz-seed$s.h5 /work/main/results/paper-fmnist/zoo.h5
done
GHRP_SRC=/work/ghrp/src /work/.venv-peers/bin/python /work/main/tools/experiments/ghrp_parity.py --zoo /work/main/results/paper-fmnist/zoo.h5 --views views.h5 --zoo-epochs 21-25 --hz hz-seed1.h5 --hz hz-seed2.h5 --out out
