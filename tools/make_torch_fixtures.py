"""Writes the small PyTorch/NumPy/safetensors fixtures the Formats tests read (fixtures/torch/).

Run with a Python that has torch, numpy and safetensors:
    /work/.venv-peers/bin/python tools/make_torch_fixtures.py [OUT_DIR]   (default fixtures/torch)

Every fixture that should load is listed in expected.json with, per tensor, its name, dtype,
shape and values (as float64 numbers, row-major), taken from what torch.load / numpy.load /
safetensors return, so the Swift readers are checked against the real libraries. Hostile and
broken files are listed under "reject" with a word their error message must contain.
"""
import collections, io, json, os, pickle, struct, sys, zipfile
import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy_safetensors

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "torch")
os.makedirs(out, exist_ok=True)
expected = {"load": {}, "reject": {}}


def describe(tensors):
    rows = []
    for name, t in tensors.items():
        if isinstance(t, torch.Tensor):
            values = t.detach().to(torch.float64).reshape(-1).tolist()
            rows.append({"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": values})
        else:
            a = np.asarray(t)
            rows.append({"name": name, "dtype": a.dtype.name, "shape": list(a.shape),
                         "values": a.astype(np.float64).reshape(-1).tolist()})
    return rows


def record(file, tensors, skipped=None):
    expected["load"][file] = {"tensors": describe(tensors), "skipped": skipped or []}


def save(obj, file, **kw):
    torch.save(obj, os.path.join(out, file), **kw)


# 1. every dtype the reader supports, values exact in each type.
g = torch.Generator().manual_seed(0)
base = torch.tensor([[-2.5, -1.0, 0.0], [0.5, 1.25, 3.0]])
dtypes = collections.OrderedDict()
dtypes["f32"] = torch.randn(3, 4, generator=g)
dtypes["f16"] = base.to(torch.float16)
dtypes["bf16"] = base.to(torch.bfloat16)
dtypes["f64"] = torch.randn(5, generator=g, dtype=torch.float64)
dtypes["i64"] = torch.tensor([-3, 0, 7, 2**40], dtype=torch.int64)
dtypes["i32"] = torch.tensor([[-70000, 1], [2, 3]], dtype=torch.int32)
dtypes["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
dtypes["i8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
dtypes["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
dtypes["bool"] = torch.tensor([True, False, True])
dtypes["scalar"] = torch.tensor(4.5)
dtypes["empty"] = torch.zeros(0, 3)
save(dtypes, "dtypes.pt")
record("dtypes.pt", dtypes)

# 2. views: non-contiguous, storage offsets, shared storages, channels-last, stride 0.
whole = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict()
views["whole"] = whole
views["transposed"] = whole.t()
views["rows_1_3"] = whole[1:3]
views["every_other_column"] = whole[:, ::2]
views["channels_last"] = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2).contiguous(memory_format=torch.channels_last)
views["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)
save(views, "views.pt")
record("views.pt", views)

# 3. a training checkpoint: model state_dict inside a dict with optimizer state and metadata.
net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
torch.manual_seed(1)
for p in net.parameters():
    torch.nn.init.uniform_(p)
opt = torch.optim.Adam(net.parameters(), lr=0.01)
net(torch.ones(4, 3)).sum().backward(); opt.step()
nested = {"epoch": 3, "state_dict": net.state_dict(), "optimizer": opt.state_dict(),
          "config": {"lr": 0.01, "name": "tiny", "betas": (0.9, 0.999), "flags": [True, None]}}
save(nested, "nested.pt")
record("nested.pt", net.state_dict(), skipped=["epoch", "optimizer", "config"])

# 4. the legacy (pre-1.6) format: magic number, protocol, sys_info, pickle, keys, raw storages.
legacy = collections.OrderedDict()
legacy["weight"] = whole
legacy["weight_t"] = whole.t()           # shares the storage
legacy["half"] = base.to(torch.float16)
legacy["ids"] = torch.tensor([5, -6], dtype=torch.int64)
save(legacy, "legacy.pt", _use_new_zipfile_serialization=False)
record("legacy.pt", legacy)

# 5. pickle protocol 4 inside the zip container (FRAME, SHORT_BINUNICODE, MEMOIZE, ...).
proto4 = collections.OrderedDict(("layer.%d.weight" % i, torch.randn(2, 2, generator=g)) for i in range(3))
save(proto4, "proto4.pt", pickle_protocol=4)
record("proto4.pt", proto4)

# 6. nn.Parameter objects pickled directly (torch._utils._rebuild_parameter).
params = collections.OrderedDict((n, p) for n, p in net.named_parameters())
save(params, "parameters.pt")
record("parameters.pt", params)

# 7. big-endian storages: the dtypes checkpoint rewritten with byteorder "big" (torch honours it).
src = zipfile.ZipFile(os.path.join(out, "dtypes.pt"))
itemsize = {}
for i, (name, t) in enumerate(dtypes.items()):
    itemsize[str(i)] = t.element_size()
with zipfile.ZipFile(os.path.join(out, "big_endian.pt"), "w", zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        root, rest = info.filename.split("/", 1)
        if rest == "byteorder":
            data = b"big"
        elif rest.startswith("data/"):
            n = itemsize[rest[5:]]
            data = np.frombuffer(data, dtype=np.dtype("u%d" % n)).byteswap().tobytes() if n > 1 else data
        dst.writestr("big_endian/" + rest, data)
check = torch.load(os.path.join(out, "big_endian.pt"))
assert all(torch.equal(check[k], dtypes[k]) for k in dtypes), "torch disagrees with the big-endian rewrite"
record("big_endian.pt", dtypes)


# Hostile and broken files ------------------------------------------------------------------
class System:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/hyperzoo-pwned",))


def torch_zip(file, pkl, storages=None, root="archive"):
    with zipfile.ZipFile(os.path.join(out, file), "w", zipfile.ZIP_STORED) as z:
        z.writestr(root + "/data.pkl", pkl)
        z.writestr(root + "/byteorder", "little")
        for k, v in (storages or {}).items():
            z.writestr(root + "/data/" + k, v)
        z.writestr(root + "/version", "3\n")


torch_zip("hostile_os_system.pt", pickle.dumps({"w": System()}, protocol=2))
expected["reject"]["hostile_os_system.pt"] = "posix.system"
with open(os.path.join(out, "hostile_legacy.pt"), "wb") as f:
    f.write(pickle.dumps(System(), protocol=2))
expected["reject"]["hostile_legacy.pt"] = "posix.system"


class Storage:
    def __init__(self, key, numel): self.key, self.numel = key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride): self.args = (storage, offset, size, stride)
    def __reduce__(self):
        s, o, size, stride = self.args
        return (torch._utils._rebuild_tensor_v2, (s, o, size, stride, False, collections.OrderedDict()))


class StoragePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def crafted(file, tensors, storages):
    buf = io.BytesIO()
    StoragePickler(buf, protocol=2).dump(collections.OrderedDict(tensors))
    torch_zip(file, buf.getvalue(), storages)


four = struct.pack("<4f", 1, 2, 3, 4)
# A crafted but valid file (checks the crafting itself): 2x2 view of a 4-float storage.
crafted("crafted_ok.pt", [("w", FakeTensor(Storage("0", 4), 0, (2, 2), (2, 1)))], {"0": four})
record("crafted_ok.pt", {"w": torch.load(os.path.join(out, "crafted_ok.pt"))["w"]})
crafted("absurd_shape.pt", [("w", FakeTensor(Storage("0", 4), 0, (2**40, 2**40), (2**40, 1)))], {"0": four})
expected["reject"]["absurd_shape.pt"] = "storage"
crafted("offset_past_end.pt", [("w", FakeTensor(Storage("0", 4), 3, (2,), (1,)))], {"0": four})
expected["reject"]["offset_past_end.pt"] = "storage"
crafted("storage_missing.pt", [("w", FakeTensor(Storage("7", 4), 0, (4,), (1,)))], {"0": four})
expected["reject"]["storage_missing.pt"] = "data/7"
crafted("numel_lies.pt", [("w", FakeTensor(Storage("0", 1000), 0, (1000,), (1,)))], {"0": four})
expected["reject"]["numel_lies.pt"] = "storage"
crafted("negative_stride.pt", [("w", FakeTensor(Storage("0", 4), 0, (2,), (-1,)))], {"0": four})
expected["reject"]["negative_stride.pt"] = "stride"

good = open(os.path.join(out, "views.pt"), "rb").read()
with open(os.path.join(out, "truncated.pt"), "wb") as f:
    f.write(good[: len(good) // 2])
expected["reject"]["truncated.pt"] = "zip"
# central directory claims an entry far larger than the file
z = bytearray(open(os.path.join(out, "crafted_ok.pt"), "rb").read())
cd = z.rfind(b"PK\x01\x02")
struct.pack_into("<I", z, cd + 24, 0x7FFFFFF0)  # uncompressed size
struct.pack_into("<I", z, cd + 20, 0x7FFFFFF0)  # compressed size
with open(os.path.join(out, "absurd_entry_size.pt"), "wb") as f:
    f.write(bytes(z))
expected["reject"]["absurd_entry_size.pt"] = "zip"

# NumPy and safetensors --------------------------------------------------------------------
arr = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
np.save(os.path.join(out, "f32.npy"), arr)
record("f32.npy", {"array": arr})
np.save(os.path.join(out, "f64_fortran.npy"), np.asfortranarray(arr.astype(np.float64)))
record("f64_fortran.npy", {"array": arr.astype(np.float64)})
np.save(os.path.join(out, "i16_big_endian.npy"), np.array([[1, -2], [300, -400]], dtype=">i2"))
record("i16_big_endian.npy", {"array": np.array([[1, -2], [300, -400]], dtype=np.int16)})
named = {"weights": arr, "epochs": np.array([0, 1, 2], dtype=np.int64), "mask": np.array([True, False])}
np.savez(os.path.join(out, "stored.npz"), **named)
record("stored.npz", named)
np.savez_compressed(os.path.join(out, "deflated.npz"), **named)
record("deflated.npz", named)
st = {"b.weight": arr, "a.bias": np.array([1.5, -2.0], dtype=np.float16), "c.ids": np.array([7, 8], dtype=np.int64)}
save_numpy_safetensors(st, os.path.join(out, "sample.safetensors"), metadata={"format": "pt"})
# safetensors orders tensors by dtype alignment then name; the reader returns file (offset) order.
header_len = struct.unpack("<Q", open(os.path.join(out, "sample.safetensors"), "rb").read(8))[0]
header = json.loads(open(os.path.join(out, "sample.safetensors"), "rb").read(8 + header_len)[8:])
order = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
record("sample.safetensors", {k: st[k] for k in order})

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", out, len(expected["load"]), "loadable,", len(expected["reject"]), "to reject")
