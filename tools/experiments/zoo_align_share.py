#!/usr/bin/env python3
"""The linear-code bound of tools/experiments/zoo_init_share.py after undoing neuron order: how well the top k
principal components of the training models reconstruct held-out models once every model's
hidden neurons are permuted to line up with a reference (docs/results/short-zoo-kaiming.md, session 3).

Two networks that list their hidden neurons in a different order compute the same function, so
raw weight vectors of independently trained models need not line up. Here each model is aligned
layer by layer, input side first ("weight matching"): the cost of pairing a model's neuron with a
reference neuron is the squared distance of their incoming weights and bias, the previous
layer's permutation already applied to the inputs; scipy's linear_sum_assignment picks the
cheapest pairing, and the permutation is applied to the neuron's outgoing weights in the next
layer too. The reference is the mean of the aligned training models, refined for --rounds rounds
(round 0 uses the first training model). Function is unchanged by construction; the script checks
it on random inputs for one model (max |logit difference|).

Layers come from the zoo's parameter_table (conv2d and linear layers in order; a conv layer's
outputs feed the next layer's input channels, a conv-to-linear step feeds blocks of
features per channel, PyTorch's flatten order). Only permutations are undone, not sign flips.
The function check's forward pass is CNN-s's (2×2 max-pool after the first two convolutions);
only the file's first architecture group is read.

Usage: $HYPERZOO_PYTHON tools/experiments/zoo_align_share.py ZOO.h5 --epoch 10 --fit-epochs 1-10 --latents 32,64,128,256 > align-share.json
(NumPy, SciPy and h5py.)
"""
import argparse
import json

import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment

# The epoch parser and the PCA bound are zoo_init_share.py's (the sibling file; Python puts the
# script's folder on sys.path).
from zoo_init_share import epoch_list, pca_bound


def read(zoo, epochs):
    with h5py.File(zoo, "r") as f:
        a = f["architectures"][f.attrs["architecture"]]
        table = json.loads(a.attrs["parameter_table"])
        sel = np.isin(a["epoch"][:], epochs)
        weights = a["weights"][:][sel].astype(np.float64)
        model, epoch = a["model"][:][sel], a["epoch"][:][sel]
        split = np.array([s.decode() if isinstance(s, bytes) else str(s) for s in f["models/split"][:]])
    return table, weights, split[model], epoch


def layers(table):
    """[(kind, weight entry, bias entry)] in row order."""
    out = {}
    for e in table:
        out.setdefault(e["layer"], {})[e["role"]] = e
    return [(v["weight"]["kind"], v["weight"], v.get("bias")) for _, v in sorted(out.items())]


def view(row, e):
    return row[e["offset"]:e["offset"] + int(np.prod(e["shape"]))].reshape(e["shape"])


def permute_inputs(w, kind, perm, prev_kind, prev_out):
    """Reorders the input axis of w by the previous layer's output permutation."""
    if kind == "conv2d" or prev_kind == "linear":
        return w[:, perm]
    # conv -> linear: PyTorch flattens [C, H, W], so each channel is a block of features.
    block = w.shape[1] // prev_out
    idx = (perm[:, None] * block + np.arange(block)[None, :]).reshape(-1)
    return w[:, idx]


def align(row, ref, specs):
    """row permuted so that its hidden neurons line up with ref's (same function)."""
    row = row.copy()
    prev_perm, prev_kind, prev_out = None, None, None
    for i, (kind, we, be) in enumerate(specs):
        w = view(row, we).copy()
        if prev_perm is not None:
            w = permute_inputs(w, kind, prev_perm, prev_kind, prev_out)
        b = view(row, be).copy() if be else None
        last = i == len(specs) - 1
        if last:
            perm = np.arange(w.shape[0])   # output classes have a fixed order
        else:
            fa = np.concatenate([w.reshape(w.shape[0], -1)] + ([b[:, None]] if b is not None else []), 1)
            rw, rb = view(ref, we), view(ref, be) if be else None
            fr = np.concatenate([rw.reshape(rw.shape[0], -1)] + ([rb[:, None]] if rb is not None else []), 1)
            cost = ((fa[:, None, :] - fr[None, :, :]) ** 2).sum(-1)   # [mine, reference]
            mine, theirs = linear_sum_assignment(cost)
            perm = np.empty_like(mine)
            perm[theirs] = mine                                         # reference neuron j <- my neuron perm[j]
        w = w[perm]
        row[we["offset"]:we["offset"] + w.size] = w.reshape(-1)
        if b is not None:
            row[be["offset"]:be["offset"] + b.size] = b[perm]
        prev_perm, prev_kind, prev_out = perm, kind, w.shape[0]
    return row


def forward(row, specs, x):
    """CNN-s/CNN-m-style forward (conv -> 2x2 max-pool -> tanh, linear -> tanh) for the check."""
    h = x
    for i, (kind, we, be) in enumerate(specs):
        w, b = view(row, we), view(row, be)
        if kind == "conv2d":
            k = w.shape[-1]
            n, c, hh, ww = h.shape
            oh, ow = hh - k + 1, ww - k + 1
            cols = np.stack([h[:, :, r:r + oh, s:s + ow] for r in range(k) for s in range(k)], -1)  # n c oh ow kk
            out = np.einsum("ncijt,oct->noij", cols, w.reshape(w.shape[0], c, k * k)) + b[None, :, None, None]
            if i < 2:   # CNN-s: pool after conv1 and conv2
                out = out[:, :, :out.shape[2] // 2 * 2, :out.shape[3] // 2 * 2]
                out = out.reshape(n, out.shape[1], out.shape[2] // 2, 2, out.shape[3] // 2, 2).max((3, 5))
            h = np.tanh(out)
        else:
            h = h.reshape(h.shape[0], -1) @ w.T + b
            if i < len(specs) - 1:
                h = np.tanh(h)
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zoo")
    ap.add_argument("--epoch", type=int, default=10, help="the held-out models' checkpoint epoch")
    ap.add_argument("--fit-epochs", default=None, help="training checkpoints of the PCA (default: --epoch)")
    ap.add_argument("--latents", default="8,16,32,64", help="code sizes k")
    ap.add_argument("--rounds", type=int, default=3, help="reference refinements (mean of aligned models)")
    args = ap.parse_args()
    fit = epoch_list(args.fit_epochs) if args.fit_epochs else [args.epoch]
    table, w, split, epoch = read(args.zoo, sorted(set(fit) | {args.epoch}))
    specs = layers(table)
    ks = [int(k) for k in args.latents.split(",")]
    train = w[(split == "train") & np.isin(epoch, fit)]
    held = w[np.isin(split, ["val", "test"]) & (epoch == args.epoch)]
    result = {"zoo": args.zoo, "epoch": args.epoch, "fit_epochs": fit, "training_rows": int(len(train)),
              "heldout_models": int(len(held)), "raw": pca_bound(train, held, ks)}
    ref = train[0]
    for r in range(args.rounds + 1):
        at = np.stack([align(x, ref, specs) for x in train])
        ref = at.mean(0)
    ah = np.stack([align(x, ref, specs) for x in held])
    result["aligned"] = pca_bound(at, ah, ks)
    spread = lambda m: float(((m - m.mean(0)) ** 2).sum(1).mean())
    result["mean_squared_distance_to_mean"] = {"raw": spread(held), "aligned": spread(ah)}
    x = np.random.default_rng(0).standard_normal((16, 1, 28, 28))
    result["function_check_max_abs_logit_diff"] = float(np.abs(forward(held[0], specs, x) - forward(ah[0], specs, x)).max())
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
