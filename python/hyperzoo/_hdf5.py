"""Strict, bounded access to the HDF5 objects of the hyperzoo file family (h5py + numpy only).

Every helper takes the file's path for its messages and raises `FormatError` naming the object.
Sizes come from the file, so every full read is checked against what the file really stores
first: a dataset declaring a billion rows but holding a few chunks is refused instead of being
inflated into memory (see `read_all`).
"""
import json
import os
import stat

import numpy as np

from .errors import FormatError

#: Largest JSON attribute or string entry read (the biggest real ones, parameter tables of large
#: models, are a few MiB).
MAX_JSON_BYTES = 64 << 20
#: Largest array a metadata column may hold (rows, models, tensors): far above any real zoo.
MAX_COLUMN_ELEMENTS = 1 << 31
#: The best ratio deflate can reach (about 1032:1), plus slack: a gzip-compressed dataset cannot
#: honestly decode to more than this many bytes per stored byte.
MAX_DEFLATE_RATIO = 1100


def h5py_module():
    """h5py, imported on first use so that `import hyperzoo` works (and says so) without it."""
    try:
        import h5py
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("hyperzoo reads HDF5 files with h5py: pip install h5py") from error
    return h5py


def open_file(path):
    """Opens `path` read-only after checking it is a regular file (never blocks on a FIFO)."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FormatError(path, "", "no such file") from None
    except OSError as error:
        raise FormatError(path, "", f"cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(path, "", "not a regular file (hyperzoo reads HDF5 files, not folders, pipes or devices)")
    h5py = h5py_module()
    try:
        return h5py.File(path, "r")
    except OSError as error:
        with open(path, "rb") as f:
            signature = f.read(8)
        if signature != b"\x89HDF\r\n\x1a\n" and info.st_size >= 8:
            raise FormatError(path, "", "not an HDF5 file") from None
        raise FormatError(path, "", f"corrupt or truncated HDF5 file ({error})") from None


def text(value):
    """A string attribute or entry as str (h5py gives bytes or str depending on how it was written)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def object_name(obj, member=None):
    """The HDF5 path of `obj` (and `member` under it), for messages."""
    name = obj.name or "/"
    if member is None:
        return name
    return f"/{member}" if name == "/" else f"{name}/{member}"


def string_attribute(obj, name, path, required=True):
    """A string attribute of `obj`; None when absent and not required."""
    if name not in obj.attrs:
        if required:
            raise FormatError(path, object_name(obj), f"missing attribute '{name}' required by the layout")
        return None
    value = obj.attrs[name]
    if isinstance(value, np.ndarray) and value.shape != ():
        raise FormatError(path, object_name(obj), f"attribute '{name}': expected one string, found an array of shape {list(value.shape)}")
    if not isinstance(value, (str, bytes, np.str_, np.bytes_)):
        raise FormatError(path, object_name(obj), f"attribute '{name}': expected a string, found {type(value).__name__}")
    if len(value) > MAX_JSON_BYTES:
        raise FormatError(path, object_name(obj), f"attribute '{name}': {len(value)} bytes, more than the {MAX_JSON_BYTES} this reader accepts")
    try:
        return text(value)
    except UnicodeDecodeError:
        raise FormatError(path, object_name(obj), f"attribute '{name}': not UTF-8 text") from None


def int_attribute(obj, name, path, required=True):
    """An integer attribute of `obj`; None when absent and not required."""
    if name not in obj.attrs:
        if required:
            raise FormatError(path, object_name(obj), f"missing integer attribute '{name}' required by the layout")
        return None
    value = obj.attrs[name]
    if isinstance(value, np.ndarray):
        if value.shape not in ((), (1,)):
            raise FormatError(path, object_name(obj), f"attribute '{name}': expected one integer, found shape {list(value.shape)}")
        value = value.reshape(())[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise FormatError(path, object_name(obj), f"attribute '{name}': expected an integer, found {type(value).__name__}")
    return int(value)


def parse_json(source, path, where, what):
    """Parses JSON text, turning malformed or absurdly nested text into a FormatError."""
    try:
        return json.loads(source)
    except (ValueError, RecursionError) as error:
        raise FormatError(path, where, f"{what} is not valid JSON ({str(error).splitlines()[0][:120]})") from None


def json_attribute(obj, name, path, kind, required=True):
    """A JSON-valued string attribute, decoded, whose top-level value must be of type `kind`."""
    source = string_attribute(obj, name, path, required)
    if source is None:
        return None
    value = parse_json(source, path, object_name(obj), f"attribute '{name}'")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {dict: "a JSON object", list: "a JSON array", int: "a JSON integer"}.get(kind, kind.__name__)
        raise FormatError(path, object_name(obj), f"attribute '{name}': expected {expected}, found {type(value).__name__}")
    return value


def json_object_entry(source, path, where, index):
    """One JSON-object entry of a string column (e.g. /models/hyperparameters), decoded."""
    if len(source) > MAX_JSON_BYTES:
        raise FormatError(path, where, f"entry {index}: {len(source)} bytes, more than the {MAX_JSON_BYTES} this reader accepts")
    value = parse_json(source, path, where, f"entry {index}")
    if not isinstance(value, dict):
        raise FormatError(path, where, f"entry {index}: expected a JSON object, found {type(value).__name__}")
    return value


def dataset(group, name, path, kind, rank):
    """The dataset `name` under `group`, checked to be of element kind `kind` and rank `rank`.

    kind: "float32", "int64" or "string".
    """
    h5py = h5py_module()
    where = object_name(group, name)
    if name not in group:
        raise FormatError(path, where, "missing object required by the layout")
    obj = group.get(name, getlink=False)
    if not isinstance(obj, h5py.Dataset):
        raise FormatError(path, where, f"expected a dataset, found a {type(obj).__name__.lower()}")
    found = describe_dtype(obj)
    if found != kind:
        raise FormatError(path, where, f"expected {kind}, found {found}")
    if len(obj.shape or ()) != rank:
        raise FormatError(path, where, f"expected a rank-{rank} dataset, found shape {list(obj.shape or ())}")
    return obj


def describe_dtype(obj):
    """float32, float64, int64, int32, ..., or string, as the layout names element types."""
    h5py = h5py_module()
    dtype = obj.dtype
    if h5py.check_string_dtype(dtype) is not None:
        return "string"
    if dtype.kind in "fiu":
        return f"{'float' if dtype.kind == 'f' else 'int' if dtype.kind == 'i' else 'uint'}{dtype.itemsize * 8}"
    return str(dtype)


def check_stored(obj, path, elements=None):
    """Refuses a dataset that declares more data than the file stores.

    Unfiltered data must be fully allocated (a shorter storage means a truncated or sparse file,
    whose missing chunks HDF5 would silently return as zeros). Compressed data may not decode to
    more than `MAX_DEFLATE_RATIO` bytes per stored byte (plus one chunk).
    """
    count = int(np.prod(obj.shape, dtype=np.int64)) if elements is None else elements
    if count > MAX_COLUMN_ELEMENTS * 64:
        raise FormatError(path, obj.name, f"declares {count} elements, more than this reader accepts")
    nominal = count * obj.dtype.itemsize
    if nominal == 0:
        return
    stored = obj.id.get_storage_size()
    filters = obj.id.get_create_plist().get_nfilters()
    if filters == 0:
        if stored < nominal:
            raise FormatError(path, obj.name, f"declares {nominal} bytes but the file stores {stored} (truncated, or rows never written); rewrite the file")
    else:
        chunk = int(np.prod(obj.chunks or obj.shape, dtype=np.int64)) * obj.dtype.itemsize
        if nominal > stored * MAX_DEFLATE_RATIO + chunk:
            raise FormatError(path, obj.name, f"declares {nominal} bytes from {stored} stored bytes, more than compression can give (corrupt or hostile file)")


def read_column(obj, path, length=None):
    """Reads a whole rank-1 numeric column after the size checks; `length` is the expected count."""
    if length is not None and obj.shape[0] != length:
        raise FormatError(path, obj.name, f"expected {length} entries, found {obj.shape[0]}")
    if obj.shape[0] > MAX_COLUMN_ELEMENTS:
        raise FormatError(path, obj.name, f"{obj.shape[0]} entries, more than the {MAX_COLUMN_ELEMENTS} this reader accepts")
    check_stored(obj, path)
    return obj[()]


def read_strings(obj, path, length=None):
    """Reads a rank-1 string column as a list of str."""
    if length is not None and obj.shape[0] != length:
        raise FormatError(path, obj.name, f"expected {length} entries (as /models/id), found {obj.shape[0]}")
    if obj.shape[0] > MAX_COLUMN_ELEMENTS:
        raise FormatError(path, obj.name, f"{obj.shape[0]} entries, more than the {MAX_COLUMN_ELEMENTS} this reader accepts")
    check_stored(obj, path)
    try:
        return [text(v) for v in obj[()]]
    except UnicodeDecodeError as error:
        raise FormatError(path, obj.name, f"entry is not UTF-8 text ({error.reason})") from None
