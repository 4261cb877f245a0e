#!/usr/bin/env python3
"""NumPy peer of hz-augment: the same views (neuron permutation as one gather, additive noise,
block erasing, neuron tokens padded to the widest layer) computed the way Python pipelines do it
(GHRP precomputes permutation index vectors and gathers x[idx]).

Reads the zoo written by hyperzoo (h5py), derives the permutation groups and the token gather
index from the stored parameter table, and reports augmented token views per second.

  $HYPERZOO_PYTHON tools/bench/peer_augment_numpy.py zoo.h5 --views 2 --epochs 50 --noise 0.05 --erase 0.5 [--bank 1000] [--batched]
"""
import argparse, json, time
import h5py
import numpy as np


def load_zoo(path):
    with h5py.File(path, "r") as f:
        arch = f["architectures"]
        name = list(arch.keys())[0]
        group = arch[name]
        table = json.loads(group.attrs["parameter_table"])
        weights = group["weights"][:]
    return weights.astype(np.float32), table["entries"] if isinstance(table, dict) else table


def layers_of(entries):
    layers = []
    for e in entries:
        if e["layer"] == len(layers):
            layers.append({"weight": e, "bias": None, "kind": e["kind"]})
        elif e["role"] == "bias":
            layers[e["layer"]]["bias"] = e
    return layers


def permutation_groups(layers):
    """[(n, [(offset, shape, axis, block)])] for every hidden layer, as PermutationSpec derives them."""
    groups = []
    for l in range(len(layers) - 1):
        cur, nxt = layers[l], layers[l + 1]
        n = cur["weight"]["shape"][0]
        inputs = nxt["weight"]["shape"][1]
        if inputs == n:
            block = 1
        elif cur["kind"] == "conv2d" and nxt["kind"] == "linear" and inputs % n == 0:
            block = inputs // n
        else:
            continue
        actions = [(cur["weight"]["offset"], cur["weight"]["shape"], 0, 1)]
        if cur["bias"] is not None:
            actions.append((cur["bias"]["offset"], cur["bias"]["shape"], 0, 1))
        actions.append((nxt["weight"]["offset"], nxt["weight"]["shape"], 1, block))
        groups.append((n, actions))
    return groups


def gather_index(P, groups, perms):
    idx = np.arange(P, dtype=np.int64)
    for (n, actions), pi in zip(groups, perms):
        for offset, shape, axis, block in actions:
            count = int(np.prod(shape))
            outer = int(np.prod(shape[:axis])) if axis > 0 else 1
            inner = int(np.prod(shape[axis + 1:])) if axis + 1 < len(shape) else 1
            view = idx[offset:offset + count].reshape(outer, n, block, inner)
            idx[offset:offset + count] = view[:, pi, :, :].reshape(-1)
    return idx


def token_index(layers, P):
    rows = []
    for layer in layers:
        w = layer["weight"]
        n = w["shape"][0]
        fan_in = int(np.prod(w["shape"])) // n
        for i in range(n):
            r = list(range(w["offset"] + i * fan_in, w["offset"] + (i + 1) * fan_in))
            if layer["bias"] is not None:
                r.append(layer["bias"]["offset"] + i)
            rows.append(r)
    width = max(len(r) for r in rows)
    src = np.full((len(rows), width), -1, dtype=np.int64)
    for t, r in enumerate(rows):
        src[t, :len(r)] = r
    return src


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zoo")
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--erase", type=float, default=0.0)
    ap.add_argument("--bank", type=int, default=0, help="precomputed permutations (0: fresh per view)")
    ap.add_argument("--batched", action="store_true", help="augment all samples of an epoch in one vectorised pass (needs --bank)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    rows, entries = load_zoo(a.zoo)
    N, P = rows.shape
    layers = layers_of(entries)
    groups = permutation_groups(layers)
    src = token_index(layers, P)
    mask = src >= 0
    src_clipped = np.where(mask, src, 0)
    T, W = src.shape
    rng = np.random.default_rng(a.seed)
    bank = np.stack([gather_index(P, groups, [rng.permutation(n) for n, _ in groups]) for _ in range(a.bank)]) if a.bank else None

    def erase_one(x):
        if a.erase > 0 and rng.random() < a.erase:
            for _ in range(10):
                length = int(P * rng.uniform(0.02, 0.33))
                begin = int(rng.integers(0, P))
                if begin + length < P:
                    x[begin:begin + length] = 0
                    break

    checksum = 0.0
    start = time.perf_counter()
    cpu_start = time.process_time()
    if a.batched:
        assert bank is not None, "--batched needs --bank"
        ar = np.arange(P)
        for _ in range(a.epochs):
            for _v in range(a.views):
                choice = rng.integers(0, a.bank, size=N)
                X = np.take_along_axis(rows, bank[choice], axis=1)
                if a.noise > 0:
                    X += np.float32(a.noise) * rng.standard_normal((N, P), dtype=np.float32)
                if a.erase > 0:
                    do = rng.random(N) < a.erase
                    length = (P * rng.uniform(0.02, 0.33, size=N)).astype(np.int64)
                    begin = rng.integers(0, P, size=N)
                    do &= begin + length < P
                    X[do[:, None] & (ar >= begin[:, None]) & (ar < (begin + length)[:, None])] = 0
                tokens = np.where(mask, X[:, src_clipped], np.float32(0))
                checksum += float(tokens[:, 0, 0].sum())
    else:
        for _ in range(a.epochs):
            for i in range(N):
                row = rows[i]
                for _v in range(a.views):
                    idx = bank[rng.integers(0, a.bank)] if bank is not None else gather_index(P, groups, [rng.permutation(n) for n, _ in groups])
                    x = row[idx]
                    if a.noise > 0:
                        x += np.float32(a.noise) * rng.standard_normal(P, dtype=np.float32)
                    erase_one(x)
                    tokens = np.where(mask, x[src_clipped], np.float32(0))
                    checksum += float(tokens[0, 0])
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    views = N * a.epochs * a.views
    print(json.dumps({"peer": "numpy", "mode": "batched" if a.batched else "per-sample", "bank": a.bank,
                      "views": views, "tokens": [T, W], "seconds": round(seconds, 3),
                      "cpu_seconds": round(cpu_seconds, 3), "views_per_s": round(views / seconds, 1),
                      "views_per_cpu_s": round(views / cpu_seconds, 1), "checksum": checksum}))


if __name__ == "__main__":
    main()
