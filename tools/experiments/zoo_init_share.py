#!/usr/bin/env python3
"""How much of a zoo's weights is still its models' random initialisation, and how well any
linear code of a given size can reconstruct held-out models (docs/results/short-zoo-kaiming.md, issue 6).

For each stored epoch e > 0, over the held-out (val + test) models:
  init_r2  = 1 - sum (w_e - w_0)^2 / sum (w_e - mean_train)^2
             (R^2 of "predict each model by its own initialisation"; near 1 means the weights
             are still mostly their random draw, which no autoencoder can know);
  moved    = mean |w_e - w_0| / mean |w_e|.
Then PCA of the training split's rows at --epochs (mean = training mean, as the paper's R^2) and,
for each k in --latents, the R^2 of projecting the held-out rows onto the top k components:
what the best k-dimensional linear code fitted to the training models achieves on new models.

Usage: $HYPERZOO_PYTHON tools/experiments/zoo_init_share.py ZOO.h5 --epochs 1-4 --latents 32,64,128 > init-share.json
(NumPy and h5py.)
"""
import argparse
import json

import h5py
import numpy as np


def epoch_list(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def pca_bound(train, held, ks):
    """For each k: R^2 of projecting the held-out rows onto the top k principal components of the
    training rows (mean = training mean), and the training variance those components explain."""
    mean = train.mean(0)
    x, h = train - mean, held - mean
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    base = (h ** 2).sum()
    out = []
    for k in ks:
        k_eff = min(k, vt.shape[0])
        p = vt[:k_eff]
        residual = h - h @ p.T @ p
        out.append({"k": k, "components": k_eff,
                    "heldout_r2": float(1 - (residual ** 2).sum() / base),
                    "train_variance_explained": float((s[:k_eff] ** 2).sum() / (s ** 2).sum())})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zoo")
    ap.add_argument("--epochs", default="1-4", help="training epochs of the PCA (the AE's --zoo-epochs)")
    ap.add_argument("--latents", default="32,64,128,256", help="code sizes k")
    args = ap.parse_args()
    with h5py.File(args.zoo, "r") as f:
        (arch,) = list(f["architectures"].keys())
        a = f["architectures"][arch]
        weights, epoch, model = a["weights"][:].astype(np.float64), a["epoch"][:], a["model"][:]
        split = np.array([s.decode() if isinstance(s, bytes) else str(s) for s in f["models/split"][:]])
    rows_split = split[model]
    epochs = epoch_list(args.epochs)
    train = np.isin(epoch, epochs) & (rows_split == "train")
    held = np.isin(epoch, epochs) & np.isin(rows_split, ["val", "test"])
    mean = weights[train].mean(0)
    init = {m: weights[(epoch == 0) & (model == m)][0] for m in np.unique(model) if ((epoch == 0) & (model == m)).any()}

    per_epoch = []
    for e in sorted(set(epoch.tolist()) - {0}):
        sel = np.where((epoch == e) & np.isin(rows_split, ["val", "test"]))[0]
        if len(sel) == 0 or not all(model[i] in init for i in sel):
            continue
        w = weights[sel]
        w0 = np.stack([init[model[i]] for i in sel])
        per_epoch.append({
            "epoch": int(e), "models": int(len(sel)),
            "init_r2": float(1 - ((w - w0) ** 2).sum() / ((w - mean) ** 2).sum()),
            "moved": float(np.abs(w - w0).mean() / np.abs(w).mean()),
        })

    pca = pca_bound(weights[train], weights[held], [int(v) for v in args.latents.split(",")])
    print(json.dumps({"zoo": args.zoo, "training_rows": int(train.sum()), "heldout_rows": int(held.sum()),
                      "parameters": int(weights.shape[1]), "per_epoch": per_epoch, "pca": pca}, indent=1))


if __name__ == "__main__":
    main()
