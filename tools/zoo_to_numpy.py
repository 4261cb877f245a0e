#!/usr/bin/env python3
"""Read a hyperzoo zoo/population file with h5py + numpy only, and rebuild each checkpoint's
PyTorch state_dict by name (the layout is documented in schemas/zoo-layout.md).

Usage:
  zoo_to_numpy.py ZOO.h5                   # summary: format, architectures, models, checkpoints
  zoo_to_numpy.py ZOO.h5 --npz OUT_DIR     # one OUT_DIR/<model>_epoch<e>.npz per checkpoint,
                                           # keys = state_dict names (torch: {k: torch.from_numpy(v)})
  zoo_to_numpy.py ZOO.h5 --json [--rows 0,5,9]
                                           # every (or the given) checkpoint as JSON with full values
A file may hold several architectures (format_version 2: root attribute `architectures`, a JSON
list of groups sharing one parameter structure but not the state_dict names, e.g. CNN-s with and
without dropout). Rows are numbered group after group in that order, and each checkpoint gets its
own group's names.
Exit status 1 with one line on stderr for a file that is not a readable hyperzoo zoo."""
import argparse, json, os, sys

import h5py
import numpy as np

SUPPORTED_VERSION = 2


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


def architecture_names(f):
    """The groups under /architectures in row order (one, unless the file lists several)."""
    if "architectures" in f.attrs:
        return json.loads(text(f.attrs["architectures"]))
    return [text(f.attrs["architecture"])]


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
    names = architecture_names(f)
    # Global row r -> (group, local row), groups in `architectures` order.
    groups = []
    start = 0
    for name in names:
        arch = f["architectures"][name]
        count = arch["weights"].shape[0]
        groups.append({"name": name, "arch": arch, "table": json.loads(text(arch.attrs["parameter_table"])),
                       "start": start, "count": count, "model": arch["model"][:], "epoch": arch["epoch"][:],
                       "metrics": {m: arch[m][:] for m in ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")}})
        start += count
    total = start
    ids = [text(s) for s in f["models/id"][:]]
    splits = [text(s) for s in f["models/split"][:]]
    rows = [int(r) for r in args.rows.split(",")] if args.rows else range(total)

    if args.npz:
        os.makedirs(args.npz, exist_ok=True)
    checkpoints = []
    for r in rows:
        g = next((g for g in groups if g["start"] <= r < g["start"] + g["count"]), None)
        if g is None:
            fail(f"{args.zoo}: row {r} outside 0..{total - 1}")
        local = r - g["start"]
        row = g["arch"]["weights"][local]  # one hyperslab read; memory stays at one row
        sd = state_dict(row, g["table"])
        model = ids[g["model"][local]]
        epoch = int(g["epoch"][local])
        if args.npz:
            np.savez(os.path.join(args.npz, f"{model}_epoch{epoch}.npz"), **sd)
        if args.json:
            checkpoints.append({
                "row": r, "model": model, "epoch": epoch, "split": splits[g["model"][local]], "architecture": g["name"],
                "metrics": {k: (None if np.isnan(v[local]) else float(v[local])) for k, v in g["metrics"].items()},
                "state_dict": {k: {"shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]} for k, v in sd.items()},
            })
    summary = {"format": text(f.attrs["format"]), "format_version": int(f.attrs["format_version"]),
               "architecture": names[0], "architectures": names,
               "parameters": int(groups[0]["arch"]["weights"].shape[1]), "models": len(ids), "checkpoints": total}
    if args.json:
        summary["checkpoints_read"] = checkpoints
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
