#!/usr/bin/env python3
"""Writes fixtures/modelzoo-mixed-dropout: a tiny folder in the published Model Zoos layout whose
models mix dropout 0 and 0.5, like the "Hyp" zoos. CNN-s with dropout > 0 inserts Dropout modules
after modules 2, 5 and 10 (GHRP def_net.CNN), so its state_dict keys are module_list.{0,4,8,11,14}
instead of module_list.{0,3,6,9,11}, with the same shapes. hz-convert must put both kinds into
one zoo file as two architecture groups.

Three models (dropout 0, 0.5, 0), checkpoints at epochs 0 and 1 (epoch 1 = after a few Adam steps
on fixed random images, so rows differ), written with torch.save as the Ray Tune trainable does,
plus params.json, result.json, the zoo config.json, and expected/vectors.npy (float32 [6, 2464],
each checkpoint flattened in its own key order) with expected/index.json naming each row and its keys.

Usage: /work/.venv-peers/bin/python tools/make_mixed_dropout_zoo.py [OUT]   (needs torch, numpy)
"""
import json, os, shutil, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "modelzoo-mixed-dropout")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(os.path.join(out, "expected"))


class CNN(nn.Module):
    """CNN-s as GHRP's def_net.CNN builds it for 1 input channel and tanh."""

    def __init__(self, dropout):
        super().__init__()
        layers = [nn.Conv2d(1, 8, 5), nn.MaxPool2d(2, 2), nn.Tanh()]
        if dropout > 0: layers.append(nn.Dropout(dropout))
        layers += [nn.Conv2d(8, 6, 5), nn.MaxPool2d(2, 2), nn.Tanh()]
        if dropout > 0: layers.append(nn.Dropout(dropout))
        layers += [nn.Conv2d(6, 4, 2), nn.Tanh(), nn.Flatten(), nn.Linear(36, 20), nn.Tanh()]
        if dropout > 0: layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(20, 10))
        self.module_list = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.module_list: x = layer(x)
        return x


base = {"model::type": "CNN", "model::channels_in": 1, "model::o_dim": 10, "model::nlin": "tanh",
        "model::init_type": "kaiming_uniform", "optim::optimizer": "adam", "optim::lr": 0.001, "optim::wd": 0.0,
        "training::batchsize": 10, "training::epochs_train": 1, "cuda": False,
        "dataset::dump": "/data/zoos/F_MNIST/tune_zoo_f_mnist_hyperparameter/dataset.pt"}
dropouts = [0.0, 0.5, 0.0]
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump({**base, "model::dropout": {"grid_search": [0.0, 0.5]}, "seed": {"grid_search": [1, 2]}}, f)

torch.manual_seed(0)
images, labels = torch.randn(20, 1, 28, 28), torch.randint(0, 10, (20,))
rows, vectors = [], []
for n, dropout in enumerate(dropouts):
    seed = n + 1
    torch.manual_seed(seed)
    model = CNN(dropout)
    for layer in model.module_list:
        if isinstance(layer, (nn.Conv2d, nn.Linear)): nn.init.constant_(layer.bias, 0.01)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cfg = {**base, "model::dropout": dropout, "seed": seed}
    trial = os.path.join(out, f"NN_tune_trainable_mixd0_{n:05d}_{n}_dropout={dropout},seed={seed}_2026-11-30_04-00-0{n}")
    os.makedirs(trial)
    with open(os.path.join(trial, "params.json"), "w") as f: json.dump(cfg, f, indent=2)
    results = open(os.path.join(trial, "result.json"), "w")
    for epoch in range(2):
        if epoch > 0:
            model.train()
            for i in range(0, 20, 10):
                opt.zero_grad(); F.cross_entropy(model(images[i:i + 10]), labels[i:i + 10]).backward(); opt.step()
        model.eval()
        with torch.no_grad():
            out_ = model(images); loss = F.cross_entropy(out_, labels).item(); acc = (out_.argmax(1) == labels).float().mean().item()
        results.write(json.dumps({"train_loss": loss, "train_acc": acc, "test_loss": loss, "test_acc": acc,
                                  "training_iteration": epoch + 1, "config": cfg}) + "\n")
        sd = model.state_dict()
        os.makedirs(os.path.join(trial, f"checkpoint_{epoch:06d}"))
        torch.save(sd, os.path.join(trial, f"checkpoint_{epoch:06d}", "checkpoints"))
        vectors.append(np.concatenate([v.detach().reshape(-1).numpy() for v in sd.values()]).astype(np.float32))
        rows.append({"model_dir": os.path.basename(trial), "epoch": epoch, "dropout": dropout, "test_acc": acc,
                     "keys": list(sd.keys())})
    results.close()
np.save(os.path.join(out, "expected", "vectors.npy"), np.stack(vectors))
with open(os.path.join(out, "expected", "index.json"), "w") as f:
    json.dump({"rows": rows}, f, indent=1)
print("wrote", out, len(rows), "checkpoints")
