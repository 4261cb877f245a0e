#!/usr/bin/env python3
"""Read a hyperzoo zoo/population file with h5py + numpy only, and rebuild each checkpoint's
PyTorch state_dict by name (the layout is documented in schemas/zoo-layout.md).

Usage:
  zoo_to_numpy.py ZOO.h5                   # summary: format, architecture, models, checkpoints
  zoo_to_numpy.py ZOO.h5 --npz OUT_DIR     # one OUT_DIR/<model>_epoch<e>.npz per checkpoint,
                                           # keys = state_dict names (torch: {k: torch.from_numpy(v)})
  zoo_to_numpy.py ZOO.h5 --json [--rows 0,5,9]
                                           # every (or the given) checkpoint as JSON with full values
Exit status 1 with one line on stderr for a file that is not a readable hyperzoo zoo."""
import argparse, json, os, sys

import h5py
import numpy as np

SUPPORTED_VERSION = 1


def fail(message):
    print(f"zoo_to_numpy: {message}", file=sys.stderr)
    sys.exit(1)


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def open_zoo(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        fail(f"{path}: cannot open as HDF5 ({e})")
    fmt = text(f.attrs.get("format", ""))
    if fmt not in ("hyperzoo.zoo", "hyperzoo.population"):
        fail(f"{path}: format is {fmt!r}, expected hyperzoo.zoo or hyperzoo.population")
    version = int(f.attrs["format_version"])
    if version > SUPPORTED_VERSION:
        fail(f"{path}: format_version {version} is newer than this script reads ({SUPPORTED_VERSION})")
    return f


def state_dict(row, table):
    """Slices one flat row back into named tensors, in table order."""
    out = {}
    for p in table:
        n = int(np.prod(p["shape"], dtype=np.int64))
        out[p["name"]] = row[p["offset"]:p["offset"] + n].reshape(p["shape"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zoo")
    ap.add_argument("--npz", metavar="DIR", help="write one .npz state_dict per checkpoint into DIR")
    ap.add_argument("--json", action="store_true", help="print checkpoints as JSON (full values)")
    ap.add_argument("--rows", help="comma-separated checkpoint rows (default: all)")
    args = ap.parse_args()

    f = open_zoo(args.zoo)
    arch_name = text(f.attrs["architecture"])
    arch = f["architectures"][arch_name]
    table = json.loads(text(arch.attrs["parameter_table"]))
    weights = arch["weights"]
    model_of_row = arch["model"][:]
    epoch_of_row = arch["epoch"][:]
    metrics = {m: arch[m][:] for m in ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")}
    ids = [text(s) for s in f["models/id"][:]]
    splits = [text(s) for s in f["models/split"][:]]
    rows = [int(r) for r in args.rows.split(",")] if args.rows else range(weights.shape[0])

    if args.npz:
        os.makedirs(args.npz, exist_ok=True)
    checkpoints = []
    for r in rows:
        row = weights[r]  # one hyperslab read; memory stays at one row
        sd = state_dict(row, table)
        model = ids[model_of_row[r]]
        if args.npz:
            np.savez(os.path.join(args.npz, f"{model}_epoch{int(epoch_of_row[r])}.npz"), **sd)
        if args.json:
            checkpoints.append({
                "row": r, "model": model, "epoch": int(epoch_of_row[r]), "split": splits[model_of_row[r]],
                "metrics": {k: (None if np.isnan(v[r]) else float(v[r])) for k, v in metrics.items()},
                "state_dict": {k: {"shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]} for k, v in sd.items()},
            })
    summary = {"format": text(f.attrs["format"]), "format_version": int(f.attrs["format_version"]),
               "architecture": arch_name, "parameters": int(weights.shape[1]), "models": len(ids),
               "checkpoints": int(weights.shape[0])}
    if args.json:
        summary["checkpoints_read"] = checkpoints
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
