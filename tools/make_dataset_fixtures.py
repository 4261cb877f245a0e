#!/usr/bin/env python3
"""Writes fixtures/datasets: tiny copies of the papers' four datasets in their real release
formats, and the values hyperzoo must read from them (expected.json), computed here with numpy
and Pillow (the library torchvision's transforms call on these images).

  mnist/    train-*-ubyte.gz (gzip) and t10k-*-ubyte (plain) IDX files, 80 + 16 images
  svhn/     train_32x32.mat (compressed, scipy.io.savemat do_compression=True) and test_32x32.mat
            (uncompressed): MATLAB 5 files with X uint8 [32, 32, 3, N] and y double [N, 1],
            digit 0 labelled 10, as the cropped-digits release; 80 + 16 images
  cifar10-python/cifar-10-batches-py/  data_batch_1..5 and test_batch: Python 2-style pickles
            (protocol 2, str as SHORT_BINSTRING/BINSTRING, numpy.core.multiarray._reconstruct),
            byte for byte the layout of the release; 16 images each
  cifar10-binary/cifar-10-batches-bin/ the same images as data_batch_*.bin / test_batch.bin
  stl10/stl10_binary/ train_X.bin, train_y.bin, test_X.bin, test_y.bin (column-major 3x96x96,
            labels 1..10); 10 + 5 images

Images are class prototypes (smooth gradients) plus noise, so a tiny zoo can learn something.
expected.json holds, for named images: raw pixels [C, H, W] as read, labels, and the Model Zoos
preprocessing done with Pillow (Grayscale = convert("L"), CenterCrop(28), Resize((28, 28)) =
resize BILINEAR), as uint8 [C, H, W].

Usage: .venv-test/bin/python tools/make_dataset_fixtures.py [OUT]   (numpy, scipy, pillow; tools/setup --python)
"""
import gzip, io, json, os, pickle, shutil, struct, sys

import numpy as np
import scipy.io
from PIL import Image

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "datasets")
shutil.rmtree(out, ignore_errors=True)
rng = np.random.default_rng(18)


def images(n, channels, side):
    """uint8 [n, channels, side, side] and labels 0..9: a per-class gradient pattern plus noise."""
    labels = rng.integers(0, 10, size=n)
    labels[:min(n, 10)] = np.arange(min(n, 10))  # every class appears
    yy, xx = np.mgrid[0:side, 0:side] / side
    out = np.empty((n, channels, side, side), np.uint8)
    for i, k in enumerate(labels):
        for c in range(channels):
            base = 128 + 100 * np.sin(2 * np.pi * ((k + 1) * xx + (c + 1) * yy * (k % 3 + 1)) / 2)
            out[i, c] = np.clip(base + rng.normal(0, 20, (side, side)), 0, 255).astype(np.uint8)
    return out, labels


def pil(img_chw):
    a = np.transpose(img_chw, (1, 2, 0))
    return Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a)


def chw(image):
    a = np.asarray(image)
    return (a[None] if a.ndim == 2 else np.transpose(a, (2, 0, 1))).astype(int)


expected = {}

# MNIST (IDX): the magic 0x00000803 / 0x00000801, big-endian sizes, uint8 data.
os.makedirs(f"{out}/mnist")
def idx(path, array, compress):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open(path + ".gz", "wb") if compress else open(path, "wb")) as f:
        f.write(data)
for split, n, compress in [("train", 80, True), ("t10k", 16, False)]:
    x, y = images(n, 1, 28)
    idx(f"{out}/mnist/{split}-images-idx3-ubyte", x[:, 0], compress)
    idx(f"{out}/mnist/{split}-labels-idx1-ubyte", y, compress)
    expected[f"mnist_{split}"] = {"count": n, "labels": y.tolist(), "image_3": x[3].ravel().tolist()}

# SVHN (.mat v5): X [32, 32, 3, N] uint8, y [N, 1] double with 10 for digit 0.
os.makedirs(f"{out}/svhn")
for name, n, compress in [("train_32x32.mat", 80, True), ("test_32x32.mat", 16, False)]:
    x, y = images(n, 3, 32)
    mat_y = np.where(y == 0, 10, y).astype(np.float64).reshape(n, 1)
    scipy.io.savemat(f"{out}/svhn/{name}", {"X": np.transpose(x, (2, 3, 1, 0)), "y": mat_y},
                     do_compression=compress, format="5")
    e = {"count": n, "labels": y.tolist(), "image_1": x[1].ravel().tolist()}
    # torchvision SVHN + the generator's transforms on image 1: Grayscale, CenterCrop(28).
    gray = pil(x[1]).convert("L")
    w, h = gray.size
    top, left = int(round((h - 28) / 2.0)), int(round((w - 28) / 2.0))
    e["gray_crop28_image_1"] = chw(gray.crop((left, top, left + 28, top + 28))).ravel().tolist()
    e["rgb_crop28_image_1"] = chw(pil(x[1]).crop((left, top, left + 28, top + 28))).ravel().tolist()
    expected["svhn_" + name.split("_")[0]] = e


# CIFAR-10 python batches, pickled as Python 2's cPickle wrote them (str = bytes as BINSTRING).
class Python2Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    def save_global(self, obj, name=None):
        # numpy 2 names its module numpy._core; the release's pickles say numpy.core.
        module = getattr(obj, "__module__", "")
        if module.startswith("numpy._core"):
            self.write(pickle.GLOBAL + module.replace("numpy._core", "numpy.core").encode() + b"\n" + (name or obj.__name__).encode() + b"\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


os.makedirs(f"{out}/cifar10-python/cifar-10-batches-py")
os.makedirs(f"{out}/cifar10-binary/cifar-10-batches-bin")
for b, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
    x, y = images(16, 3, 32)
    flat = x.reshape(16, 3072)
    batch = {b"batch_label": (b"testing batch 1 of 1" if name == "test_batch" else f"training batch {b + 1} of 5".encode()),
             b"labels": [int(v) for v in y], b"data": flat,
             b"filenames": [f"image_{b}_{i}.png".encode() for i in range(16)]}
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump(batch)
    with open(f"{out}/cifar10-python/cifar-10-batches-py/{name}", "wb") as f:
        f.write(buffer.getvalue())
    with open(f"{out}/cifar10-binary/cifar-10-batches-bin/{name}.bin", "wb") as f:
        for i in range(16):
            f.write(bytes([int(y[i])]) + flat[i].tobytes())
    e = {"count": 16, "labels": y.tolist()}
    if name in ("data_batch_3", "test_batch"):
        e["image_2"] = x[2].ravel().tolist()
    if name == "test_batch":
        e["resize28_image_2"] = chw(pil(x[2]).resize((28, 28), Image.BILINEAR)).ravel().tolist()
        e["gray_resize28_image_2"] = chw(pil(x[2]).convert("L").resize((28, 28), Image.BILINEAR)).ravel().tolist()
    expected["cifar10_" + name] = e

# STL-10 binary: each image 3 x 96 x 96 with every channel stored column by column; labels 1..10.
os.makedirs(f"{out}/stl10/stl10_binary")
for split, n in [("train", 10), ("test", 5)]:
    x, y = images(n, 3, 96)
    np.transpose(x, (0, 1, 3, 2)).tofile(f"{out}/stl10/stl10_binary/{split}_X.bin")
    (y + 1).astype(np.uint8).tofile(f"{out}/stl10/stl10_binary/{split}_y.bin")
    e = {"count": n, "labels": y.tolist(), "image_1": x[1].ravel().tolist()}
    e["resize28_image_1"] = chw(pil(x[1]).resize((28, 28), Image.BILINEAR)).ravel().tolist()
    e["resize32_image_1"] = chw(pil(x[1]).resize((32, 32), Image.BILINEAR)).ravel().tolist()
    expected["stl10_" + split] = e

with open(f"{out}/expected.json", "w") as f:
    json.dump(expected, f, separators=(",", ":"))
print(f"wrote {out}")
