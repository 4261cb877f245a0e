#!/usr/bin/env python3
"""PyTorch side of the zoo accuracy comparison: CNN-s trained exactly as the Model Zoos F-MNIST
"uniform" zoo (tanh, U(0,1) weights, biases 0.01, Adam 3e-4, batch 10, log_softmax + NLL,
images (x-0.5)/0.5), one model per seed, test accuracy after each of EPOCHS epochs.
Env: SEEDS (e.g. "1-10"), EPOCHS, N_TRAIN (first n training images), THREADS.
The same network as ../shared/peers/zoo_member_epoch.py, which fixes seed 1 and one epoch."""
import gzip, json, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

root = os.environ.get("FMNIST", "/usr/share/datasets/fashion-mnist")
lo, hi = map(int, os.environ.get("SEEDS", "1-10").split("-"))
epochs, ntr = int(os.environ.get("EPOCHS", 5)), int(os.environ.get("N_TRAIN", 10000))
torch.set_num_threads(int(os.environ.get("THREADS", 1)))
idx = lambda p, o: np.frombuffer(gzip.open(p).read(), np.uint8, offset=o)
norm = lambda a: torch.tensor((a.astype(np.float32) / 255.0 - 0.5) / 0.5)
xtr = norm(idx(f"{root}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:ntr])
ytr = torch.tensor(idx(f"{root}/train-labels-idx1-ubyte.gz", 8)[:ntr].astype(np.int64))
xte = norm(idx(f"{root}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28))
yte = torch.tensor(idx(f"{root}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
acc, seconds = [], 0.0
for seed in range(lo, hi + 1):
    torch.manual_seed(seed)
    m = nn.ModuleList([nn.Conv2d(1, 8, 5), nn.MaxPool2d(2), nn.Tanh(), nn.Conv2d(8, 6, 5), nn.MaxPool2d(2), nn.Tanh(),
                       nn.Conv2d(6, 4, 2), nn.Tanh(), nn.Flatten(), nn.Linear(36, 20), nn.Tanh(), nn.Linear(20, 10)])
    for l in m:
        if isinstance(l, (nn.Conv2d, nn.Linear)):
            nn.init.uniform_(l.weight); l.bias.data.fill_(0.01)
    def fwd(x):
        for l in m: x = l(x)
        return x
    opt = torch.optim.Adam(m.parameters(), lr=3e-4)
    row = []
    for e in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(ntr)
        for i in range(0, ntr, 10):
            b = perm[i:i + 10]; opt.zero_grad(); F.nll_loss(F.log_softmax(fwd(xtr[b]), 1), ytr[b]).backward(); opt.step()
        seconds += time.perf_counter() - t0
        with torch.no_grad(): row.append((fwd(xte).argmax(1) == yte).float().mean().item())
    acc.append(row)
a = np.array(acc)
print(json.dumps({"peer": "pytorch-cnn-s-uniform", "seeds": [lo, hi], "n_train": ntr, "epochs": epochs,
                  "mean_test_acc_per_epoch": [round(float(v), 4) for v in a.mean(0)],
                  "std_test_acc_per_epoch": [round(float(v), 4) for v in a.std(0)],
                  "train_seconds": round(seconds, 2), "model_epochs": int(a.size)}))
