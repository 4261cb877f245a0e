#!/usr/bin/env python3
"""Peer for the hz-eval benchmark: evaluate every model of a hyperzoo population (or zoo) file on
the Fashion-MNIST test set ONE BY ONE in PyTorch, the way a user with a folder of checkpoints does
it today (build the module, load_state_dict, forward the test set, next model).

    $HYPERZOO_PYTHON tools/bench/peer_eval_population.py population.h5 [--limit N] [--threads T]

Reads the HDF5 with h5py only (layout: schemas/zoo-layout.md: root attribute `architecture`,
/architectures/<arch>/weights [N, P] float32, parameter table JSON in its `parameter_table`
attribute). CNN-s only (the zoo architecture of the paper). Images are normalised (x - 0.5)/0.5 as
in the Model Zoos F-MNIST recipe. Prints one JSON line: seconds, models/s, mean accuracy (to check
against hz-eval's numbers)."""
import argparse, gzip, json, os, time
import h5py, numpy as np, torch, torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("population")
p.add_argument("--limit", type=int, default=0, help="evaluate only the first N rows (0 = all)")
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--batch", type=int, default=500, help="test images per forward pass")
p.add_argument("--images", type=int, default=0, help="use only the first N test images (0 = all 10,000)")
p.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
a = p.parse_args()
torch.set_num_threads(a.threads)

def idx(path, off):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=off)
x = torch.tensor(idx(f"{a.fmnist}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
x = (x - 0.5) / 0.5
y = torch.tensor(idx(f"{a.fmnist}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
if a.images > 0:
    x, y = x[:a.images], y[:a.images]

with h5py.File(a.population, "r") as f:
    arch = f.attrs["architecture"]
    arch = arch.decode() if isinstance(arch, bytes) else arch
    g = f[f"architectures/{arch}"]
    table = json.loads(g.attrs["parameter_table"])
    n = g["weights"].shape[0] if a.limit <= 0 else min(a.limit, g["weights"].shape[0])
    rows = g["weights"][:n]

def cnn_s():
    return nn.ModuleList([nn.Conv2d(1, 8, 5), nn.MaxPool2d(2), nn.Tanh(), nn.Conv2d(8, 6, 5), nn.MaxPool2d(2), nn.Tanh(),
                          nn.Conv2d(6, 4, 2), nn.Tanh(), nn.Flatten(), nn.Linear(36, 20), nn.Tanh(), nn.Linear(20, 10)])

names = [e["name"] for e in table]
t0 = time.perf_counter()
accs = []
with torch.no_grad():
    for r in rows:
        m = cnn_s()
        sd = m.state_dict()
        off = 0
        for k in names:
            key = k[len("module_list."):] if k.startswith("module_list.") else k
            cnt = sd[key].numel()
            sd[key] = torch.from_numpy(r[off:off + cnt].copy()).reshape(sd[key].shape)
            off += cnt
        m.load_state_dict(sd)
        correct = 0
        for i in range(0, len(x), a.batch):
            h = x[i:i + a.batch]
            for layer in m:
                h = layer(h)
            correct += (h.argmax(1) == y[i:i + a.batch]).sum().item()
        accs.append(correct / len(x))
dt = time.perf_counter() - t0
print(json.dumps({"peer": "pytorch-one-by-one", "threads": torch.get_num_threads(), "models": int(n), "images": len(x),
                  "seconds": round(dt, 3), "models_per_s": round(n / dt, 3), "mean_accuracy": float(np.mean(accs)) if accs else None}))
