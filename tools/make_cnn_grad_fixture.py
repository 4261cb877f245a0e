#!/usr/bin/env python3
"""Writes fixtures/torch/cnn_s_grad.{json,bin}: CNN-s (the Model Zoos "CNN", 1 channel, tanh)
on a fixed batch of 10 Fashion-MNIST test images, with PyTorch's loss and every parameter
gradient, for two initialisations (the zoo's U(0,1) with biases 0.01, and kaiming_uniform), plus
the weights after three Adam steps (lr 3e-4) on three batches.

Run with the peers' venv:  /work/.venv-peers/bin/python tools/make_cnn_grad_fixture.py
Format: the .json lists tensors (name, shape, offset in float32 elements into the .bin, which
is little-endian float32) and scalars; "version" guards the layout."""
import gzip, json, os, sys
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

root = os.environ.get("FMNIST", "/usr/share/datasets/fashion-mnist")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch")
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)

def idx(path, off):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=off)

x_all = idx(f"{root}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:30].astype(np.float32) / 255.0
x_all = (x_all - 0.5) / 0.5                   # the zoo recipe's Normalize(0.5, 0.5)
y_all = idx(f"{root}/t10k-labels-idx1-ubyte.gz", 8)[:30].astype(np.int64)

class CNN(nn.Module):
    """The zoo's CNN-s: an nn.ModuleList called module_list, so keys are module_list.{i}.*."""
    def __init__(self, layers):
        super().__init__()
        self.module_list = nn.ModuleList(layers)

def cnn_s():
    return CNN([nn.Conv2d(1, 8, 5), nn.MaxPool2d(2, 2), nn.Tanh(), nn.Conv2d(8, 6, 5), nn.MaxPool2d(2, 2),
                          nn.Tanh(), nn.Conv2d(6, 4, 2), nn.Tanh(), nn.Flatten(), nn.Linear(36, 20), nn.Tanh(),
                          nn.Linear(20, 10)])

def forward(m, x):
    for layer in m.module_list:
        x = layer(x)
    return x

tensors, scalars, blob = [], {}, []
offset = 0
def add(name, t):
    global offset
    a = t.detach().cpu().numpy().astype("<f4").ravel()
    tensors.append({"name": name, "shape": list(t.shape), "offset": offset})
    blob.append(a); offset += a.size

add("inputs", torch.tensor(x_all))
add("labels", torch.tensor(y_all.astype(np.float32)))
for case, init in [("uniform", nn.init.uniform_), ("kaiming_uniform", nn.init.kaiming_uniform_)]:
    m = cnn_s()
    for layer in m.module_list:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            init(layer.weight); layer.bias.data.fill_(0.01)
    for k, v in m.state_dict().items():
        add(f"{case}/weights/{k}", v)
    x, y = torch.tensor(x_all[:10]), torch.tensor(y_all[:10])
    loss = F.nll_loss(F.log_softmax(forward(m, x), 1), y)
    loss.backward()
    scalars[f"{case}/loss"] = loss.item()
    add(f"{case}/logits", forward(m, x))
    for k, p in m.named_parameters():
        add(f"{case}/grads/{k}", p.grad)
    opt = torch.optim.Adam(m.parameters(), lr=3e-4)
    m.zero_grad()
    for step in range(3):
        xb, yb = torch.tensor(x_all[10 * step:10 * step + 10]), torch.tensor(y_all[10 * step:10 * step + 10])
        opt.zero_grad(); F.nll_loss(F.log_softmax(forward(m, xb), 1), yb).backward(); opt.step()
    for k, v in m.state_dict().items():
        add(f"{case}/after_adam3/{k}", v)

os.makedirs(out, exist_ok=True)
np.concatenate(blob).tofile(os.path.join(out, "cnn_s_grad.bin"))
with open(os.path.join(out, "cnn_s_grad.json"), "w") as f:
    json.dump({"version": 1, "torch": torch.__version__, "generator": "tools/make_cnn_grad_fixture.py",
               "tensors": tensors, "scalars": scalars}, f, indent=1)
print(f"wrote {offset} floats ({4 * offset} bytes) to {out}/cnn_s_grad.bin", file=sys.stderr)
