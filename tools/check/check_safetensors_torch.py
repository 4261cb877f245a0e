"""Checks that safetensors exported by `hz-convert ZOO.h5 --to safetensors -o DIR` load in PyTorch:
every DIR/<model>/epoch_<N>.safetensors is read with safetensors.torch.load_file, loaded with
model.load_state_dict(strict=True) into the Model Zoos CNN-s, and compared with torch.equal to the
original checkpoint_<N>/checkpoints of the Model Zoos folder it came from.

Usage: $HYPERZOO_PYTHON tools/check/check_safetensors_torch.py EXPORT_DIR MODELZOO_DIR
Prints one line per failure and a summary; exit status 1 on any mismatch.
"""
import glob, os, re, sys
import torch, torch.nn as nn
from safetensors.torch import load_file

export_dir, zoo_dir = sys.argv[1], sys.argv[2]


class CNN(nn.Module):  # the Model Zoos CNN-s (as in ../shared/peers/make_modelzoo_dir.py)
    def __init__(self):
        super().__init__()
        self.module_list = nn.ModuleList([
            nn.Conv2d(1, 8, 5), nn.MaxPool2d(2, 2), nn.Tanh(), nn.Conv2d(8, 6, 5), nn.MaxPool2d(2, 2), nn.Tanh(),
            nn.Conv2d(6, 4, 2), nn.Tanh(), nn.Flatten(), nn.Linear(36, 20), nn.Tanh(), nn.Linear(20, 10)])

    def forward(self, x):
        for layer in self.module_list:
            x = layer(x)
        return x


files = sorted(glob.glob(os.path.join(export_dir, "*", "epoch_*.safetensors")))
if not files:
    sys.exit(f"no <model>/epoch_<N>.safetensors under {export_dir}")
bad = 0
x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
for f in files:
    model_id = os.path.basename(os.path.dirname(f))
    epoch = int(re.match(r"epoch_(\d+)\.safetensors", os.path.basename(f)).group(1))
    sd = load_file(f)
    net = CNN()
    net.load_state_dict(sd, strict=True)
    folders = [d for d in glob.glob(os.path.join(zoo_dir, model_id, "checkpoint_*")) if int(d.rsplit("_", 1)[1]) == epoch]
    original = torch.load(os.path.join(folders[0], "checkpoints"), map_location="cpu", weights_only=True)
    if list(sd.keys()) != list(original.keys()):
        print(f"{f}: keys {list(sd.keys())} differ from {list(original.keys())}"); bad += 1; continue
    for k in original:
        if sd[k].dtype != original[k].dtype or not torch.equal(sd[k], original[k]):
            print(f"{f}: {k} differs from the original checkpoint"); bad += 1
    reference = CNN(); reference.load_state_dict(original)
    with torch.no_grad():
        if not torch.equal(net(x), reference(x)):
            print(f"{f}: outputs differ from the original model"); bad += 1
print(f"checked {len(files)} files: {'all identical to the original checkpoints' if bad == 0 else f'{bad} mismatches'}")
sys.exit(1 if bad else 0)
