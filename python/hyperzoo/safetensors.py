"""A strict safetensors reader in numpy (the format hz-archive and hz-convert export for PyTorch).

Layout: an 8-byte little-endian header length N, N bytes of JSON
{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
byte buffer. Checked as the reference implementation does: header ≤ 100 MB, known dtypes,
end − begin = elements × element size, tensors contiguous from 0 without gap or overlap, the
buffer exactly covered.
"""
import json
import os
import stat

import numpy as np

from .errors import FormatError

MAX_HEADER_BYTES = 100_000_000
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?", "BF16": "<u2"}


def load_bytes(data, source="<bytes>"):
    """(tensors, metadata) of a safetensors file held in `data` (bytes).

    tensors is {name: numpy array} in data-offset order (the writer's order); BF16 tensors are
    widened to float32 (numpy has no bfloat16). metadata is the `__metadata__` dict.
    """
    view = memoryview(data)
    if len(view) < 8:
        raise FormatError(source, "header", f"{len(view)} bytes, too short for a safetensors file")
    n = int.from_bytes(view[:8], "little")
    if not 2 <= n <= MAX_HEADER_BYTES:
        raise FormatError(source, "header", f"header length {n} is outside 2…{MAX_HEADER_BYTES} bytes")
    if n > len(view) - 8:
        raise FormatError(source, "header", f"header length {n} runs past the end of the file ({len(view)} bytes)")
    try:
        header = json.loads(bytes(view[8:8 + n]).decode("utf-8"))
    except (ValueError, RecursionError):
        raise FormatError(source, "header", "not a JSON object of tensor entries") from None
    if not isinstance(header, dict):
        raise FormatError(source, "header", "not a JSON object of tensor entries")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError(source, "__metadata__", "expected an object of strings")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(source, name, "entry needs exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise FormatError(source, name, f"dtype {dtype!r} is not one this reader converts ({', '.join(DTYPES)})")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise FormatError(source, name, f"shape must be a list of non-negative integers, found {shape!r}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]:
            raise FormatError(source, name, f"data_offsets must be [begin, end] with begin ≤ end, found {offsets!r}")
        count = 1
        for d in shape:
            count *= d
        size = np.dtype(DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != count * size:
            raise FormatError(source, name, f"data_offsets span {offsets[1] - offsets[0]} bytes, shape {shape} of {dtype} needs {count * size}")
        entries.append((offsets[0], offsets[1], name, dtype, shape))
    entries.sort()
    buffer = view[8 + n:]
    position = 0
    tensors = {}
    for begin, end, name, dtype, shape in entries:
        if begin != position:
            raise FormatError(source, name, f"starts at byte {begin}, expected {position} (tensors must be contiguous, without gap or overlap)")
        if end > len(buffer):
            raise FormatError(source, name, f"ends at byte {end}, past the {len(buffer)}-byte buffer (truncated file)")
        array = np.frombuffer(buffer[begin:end], dtype=DTYPES[dtype]).reshape(shape)
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array.astype(array.dtype.newbyteorder("="), copy=True)
        position = end
    if position != len(buffer):
        raise FormatError(source, "buffer", f"{len(buffer) - position} bytes after the last tensor (the buffer must be exactly covered)")
    return tensors, metadata


def load_file(path):
    """(tensors, metadata) of the safetensors file at `path`; see `load_bytes`."""
    path = os.fspath(path)
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(path, "", "not a regular file")
    size = info.st_size
    if size > (64 << 30):
        raise FormatError(path, "", f"{size} bytes, more than this reader loads into memory")
    with open(path, "rb") as f:
        return load_bytes(f.read(), path)


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
