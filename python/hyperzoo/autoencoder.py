"""Autoencoder checkpoints written by hz-train (`hyperzoo.ae`, schemas/ae-checkpoint.md): their
configuration, provenance, training state and parameters, read with h5py."""
import os

import numpy as np

from . import _hdf5 as h5
from ._frameworks import convert_state_dict
from .errors import FormatError
from .table import ParameterTable
from .zoo import check_format

AE_FORMAT = "hyperzoo.ae"
DEFAULT_MAX_BYTES = 8 << 30


class Autoencoder:
    """An open AE checkpoint (a context manager, like h5py.File).

    Attributes:
        path, format_version: the file and its version.
        config: the `AutoencoderConfig` JSON (modelWidth, heads, blocks, latentSize, ...).
        table: the `ParameterTable` of the zoo architecture it encodes (``config["table"]``).
        source: provenance text (``hz-train <zoo>``, ``import-ghrp <checkpoint>``).
        parameter_shapes / buffer_shapes: {name: shape} of /parameters and /buffers, named as the
            official PyTorch ``AE_attn`` state_dict (plus ``projection_head.*``).
        training: None, or a dict with ``epoch``, ``optimizer_steps`` and the decoded JSON
            attributes ``options``, ``objective``, ``scheduler``, ``dropout_stream``,
            ``diagnostics`` (those present), and ``history`` (per-epoch metrics).
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = h5.open_file(self.path)
        try:
            self._load()
        except BaseException:
            self._file.close()
            raise

    def _load(self):
        f, path = self._file, self.path
        _, self.format_version = check_format(f, path, (AE_FORMAT,))
        self.config = h5.json_attribute(f, "config", path, dict)
        if "table" not in self.config:
            raise FormatError(path, "/", "attribute 'config': missing 'table' (the zoo architecture's parameter table)")
        table = self.config["table"]
        entries = table.get("entries") if isinstance(table, dict) else table
        self.table = ParameterTable.from_json(entries, path, "/ (config.table)")
        self.source = h5.string_attribute(f, "source", path, required=False)
        self._parameters = self._tensors("parameters", required=True)
        self._buffers = self._tensors("buffers", required=False)
        self.parameter_shapes = {k: tuple(d.shape) for k, d in self._parameters.items()}
        self.buffer_shapes = {k: tuple(d.shape) for k, d in self._buffers.items()}
        self.training = self._training()

    def _tensors(self, name, required):
        h5py = h5.h5py_module()
        f, path = self._file, self.path
        if name not in f:
            if required:
                raise FormatError(path, f"/{name}", "missing group required by the layout")
            return {}
        group = f[name]
        if not isinstance(group, h5py.Group):
            raise FormatError(path, f"/{name}", "expected a group of float32 datasets")
        tensors = {}
        for key in group:
            obj = group.get(key, getlink=False)
            if not isinstance(obj, h5py.Dataset) or h5.describe_dtype(obj) != "float32":
                raise FormatError(path, h5.object_name(group, key), f"expected a float32 dataset, found {h5.describe_dtype(obj) if isinstance(obj, h5py.Dataset) else 'a group'}")
            h5.check_stored(obj, path)
            tensors[key] = obj
        return tensors

    def _training(self):
        h5py = h5.h5py_module()
        f, path = self._file, self.path
        if "training" not in f:
            return None
        group = f["training"]
        if not isinstance(group, h5py.Group):
            raise FormatError(path, "/training", "expected a group")
        training = {"epoch": h5.int_attribute(group, "epoch", path), "optimizer_steps": h5.int_attribute(group, "optimizer_steps", path)}
        for name in ("options", "objective", "scheduler", "dropout_stream", "diagnostics"):
            value = h5.json_attribute(group, name, path, dict, required=False)
            if value is not None:
                training[name] = value
        if "history" in group:
            history = h5.read_strings(h5.dataset(group, "history", path, "string", 1), path, 1)
            value = h5.parse_json(history[0], path, "/training/history", "entry 0")
            if not isinstance(value, list):
                raise FormatError(path, "/training/history", "expected a JSON array of per-epoch metrics")
            training["history"] = value
        return training

    @property
    def parameter_count(self):
        """Number of values in /parameters."""
        return int(sum(np.prod(s, dtype=np.int64) for s in self.parameter_shapes.values()))

    def state_dict(self, framework="numpy", projection_head=True, buffers=True, max_bytes=DEFAULT_MAX_BYTES):
        """{name: float32 tensor} of /parameters (and /buffers), numpy or torch.

        ``projection_head=False`` leaves out ``projection_head.*`` (what the official ``AE_attn``
        module loads); ``buffers=False`` leaves out the BatchNorm running statistics.
        """
        chosen = dict(self._parameters)
        if buffers:
            chosen.update(self._buffers)
        if not projection_head:
            chosen = {k: v for k, v in chosen.items() if not k.startswith("projection_head.")}
        need = sum(v.size * 4 for v in chosen.values())
        if need > max_bytes:
            raise ValueError(f"{self.path}: the state_dict needs {need} bytes, more than max_bytes={max_bytes}")
        return convert_state_dict({k: v[()] for k, v in chosen.items()}, framework)

    def close(self):
        if self._file.id.valid:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        c = self.config
        return (f"<Autoencoder {os.path.basename(self.path)!r}: latent {c.get('latentSize')}, d_model {c.get('modelWidth')}, "
                f"{c.get('blocks')} blocks, {self.parameter_count} parameters, for rows of {self.table.parameter_count}>")


def open_autoencoder(path):
    """Opens an AE checkpoint written by hz-train; see `Autoencoder`."""
    return Autoencoder(path)
