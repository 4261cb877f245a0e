"""Writes small zoo and population files with h5py exactly as schemas/zoo-layout.md describes them
(the tests' own writer: independent of the package under test), plus helpers to break them."""
import json

import h5py
import numpy as np

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")
STRING = h5py.string_dtype("utf-8")


def compact(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def mlp_table(inputs, hidden, outputs, prefix="module_list", indices=None):
    """Parameter-table entries of an MLP: Linear(inputs, hidden) ... Linear(hidden, outputs)."""
    sizes = [inputs] + list(hidden) + [outputs]
    indices = indices or [2 * k for k in range(len(sizes) - 1)]
    entries, offset = [], 0
    for layer, (fan_in, out) in enumerate(zip(sizes, sizes[1:])):
        for role, shape in (("weight", [out, fan_in]), ("bias", [out])):
            entries.append({"name": f"{prefix}.{indices[layer]}.{role}", "shape": shape, "offset": offset,
                            "layer": layer, "kind": "linear", "role": role})
            offset += int(np.prod(shape))
    return entries


def conv_table():
    """A tiny CNN: Conv2d(1, 2, 3) then Linear(8, 3)."""
    return [
        {"name": "module_list.0.weight", "shape": [2, 1, 3, 3], "offset": 0, "layer": 0, "kind": "conv2d", "role": "weight"},
        {"name": "module_list.0.bias", "shape": [2], "offset": 18, "layer": 0, "kind": "conv2d", "role": "bias"},
        {"name": "module_list.3.weight", "shape": [3, 8], "offset": 20, "layer": 1, "kind": "linear", "role": "weight"},
        {"name": "module_list.3.bias", "shape": [3], "offset": 44, "layer": 1, "kind": "linear", "role": "bias"},
    ]


def write_zoo(path, groups, models, fmt="hyperzoo.zoo", root_json=None, compression=None):
    """groups: list of dicts {name, table, weights [N,P], model [N], epoch [N], metrics {m: [N]} (optional)}.
    models: list of dicts {id, seed, dataset, split, hyperparameters, provenance}."""
    with h5py.File(path, "w", libver=("v108", "latest"), track_order=True) as f:
        f.attrs["format"] = fmt
        f.attrs["format_version"] = np.int64(2 if len(groups) > 1 else 1)
        f.attrs["architecture"] = groups[0]["name"]
        if len(groups) > 1:
            f.attrs["architectures"] = compact([g["name"] for g in groups])
        f.attrs["created_by"] = "hyperzoo"
        f.attrs["config"] = compact({"name": "test"})
        for name, value in (root_json or {}).items():
            f.attrs[name] = compact(value)
        for g in groups:
            a = f.create_group(f"architectures/{g['name']}", track_order=True)
            table = g["table"]
            p = table[-1]["offset"] + int(np.prod(table[-1]["shape"]))
            weights = np.asarray(g["weights"], dtype=np.float32)
            n = len(weights)
            a.attrs["parameter_table"] = compact(table)
            a.attrs["parameter_count"] = np.int64(p)
            a.attrs["checkpoint_count"] = np.int64(n)
            a.create_dataset("weights", data=weights, chunks=(max(1, min(n, 4)), p), maxshape=(None, p),
                             compression=compression, shuffle=compression is not None)
            a.create_dataset("model", data=np.asarray(g["model"], dtype=np.int64), maxshape=(None,))
            a.create_dataset("epoch", data=np.asarray(g["epoch"], dtype=np.int64), maxshape=(None,))
            metrics = g.get("metrics", {})
            for m in METRICS:
                a.create_dataset(m, data=np.asarray(metrics.get(m, [np.nan] * n), dtype=np.float32), maxshape=(None,))
            a.create_dataset("parameter_names", data=[e["name"] for e in table], dtype=STRING)
            a.create_dataset("parameter_offsets", data=np.array([e["offset"] for e in table], dtype=np.int64))
        m = f.create_group("models", track_order=True)
        m.attrs["model_count"] = np.int64(len(models))
        m.create_dataset("id", data=[x["id"] for x in models], dtype=STRING, maxshape=(None,))
        m.create_dataset("seed", data=np.array([x.get("seed", -1) for x in models], dtype=np.int64), maxshape=(None,))
        for column in ("dataset", "split"):
            m.create_dataset(column, data=[x.get(column, "") for x in models], dtype=STRING, maxshape=(None,))
        for column in ("hyperparameters", "provenance"):
            m.create_dataset(column, data=[compact(x.get(column, {})) for x in models], dtype=STRING, maxshape=(None,))


def small_zoo(path, seed=0, groups=1, compression=None):
    """A zoo of 4 models × 3 epochs of a 5-3-2 MLP (P = 32), models 0, 1 train, 2 val, 3 test.
    With groups=2 models 1 and 3 live in a second layout (shifted module indices: 'dropout')."""
    rng = np.random.default_rng(seed)
    table = mlp_table(5, [3], 2)
    p = table[-1]["offset"] + int(np.prod(table[-1]["shape"]))
    models = [{"id": f"m{k}", "seed": k + 1, "dataset": "synthetic", "split": s,
               "hyperparameters": {"lr": 0.001 * (k + 1)}, "provenance": {"generator": "test"}}
              for k, s in enumerate(["train", "train", "val", "test"])]
    layouts = [[0, 1, 2, 3]] if groups == 1 else [[0, 2], [1, 3]]
    result = []
    for g, members in enumerate(layouts):
        rows = [(m, e) for m in members for e in range(3)]
        weights = rng.standard_normal((len(rows), p)).astype(np.float32)
        acc = np.array([0.3 + 0.1 * m + 0.05 * e for m, e in rows], dtype=np.float32)
        metrics = {"test_acc": acc, "test_loss": 1 - acc, "train_acc": acc + 0.01}
        result.append({"name": "mlp" if g == 0 else "mlp_dropout",
                       "table": table if g == 0 else mlp_table(5, [3], 2, indices=[0, 3]),
                       "weights": weights, "model": [m for m, _ in rows], "epoch": [e for _, e in rows], "metrics": metrics})
    write_zoo(path, result, models, compression=compression)
    return result, models
