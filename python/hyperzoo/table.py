"""The parameter table: how one flat float32 row maps back to a PyTorch state_dict.

schemas/parameter-table.schema.json describes the JSON; this module checks it strictly (types,
contiguous offsets from 0, unique names, known kinds and roles) and slices rows by it.
"""
from dataclasses import dataclass

import numpy as np

from ._frameworks import as_numpy
from .errors import FormatError

KINDS = ("conv2d", "linear", "other")
ROLES = ("weight", "bias", "other")
#: More tensors than any network a zoo holds; bounds the work of checking a hostile table.
MAX_TENSORS = 1 << 20
#: Largest row length accepted (2^36 float32 values = 256 GiB).
MAX_PARAMETERS = 1 << 36
MAX_RANK = 16


@dataclass(frozen=True)
class ParameterEntry:
    """One state_dict tensor inside a flat row.

    Attributes:
        name: the state_dict key, e.g. ``module_list.0.weight``.
        shape: the tensor's shape (row-major).
        offset: where the tensor starts in the flat row, in elements.
        layer: index of its layer; all tensors of a layer share axis 0 (output neurons).
        kind: ``conv2d``, ``linear`` or ``other``.
        role: ``weight``, ``bias`` or ``other``.
    """
    name: str
    shape: tuple
    offset: int
    layer: int
    kind: str
    role: str

    @property
    def count(self):
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    def as_json(self):
        return {"name": self.name, "shape": list(self.shape), "offset": self.offset,
                "layer": self.layer, "kind": self.kind, "role": self.role}


class ParameterTable:
    """The ordered tensors of one architecture's flat rows (iterable over `ParameterEntry`)."""

    def __init__(self, entries):
        self.entries = tuple(entries)
        last = self.entries[-1] if self.entries else None
        self.parameter_count = last.offset + last.count if last else 0

    @classmethod
    def from_json(cls, value, path, where):
        """A table from its decoded JSON (a list of entry objects), checked entry by entry."""
        if not isinstance(value, list):
            raise FormatError(path, where, f"parameter_table: expected a JSON array of entries, found {type(value).__name__}")
        if len(value) > MAX_TENSORS:
            raise FormatError(path, where, f"parameter_table: {len(value)} entries, more than {MAX_TENSORS}")
        entries, names, offset = [], set(), 0
        for k, item in enumerate(value):
            def bad(message):
                return FormatError(path, where, f"parameter_table entry {k}: {message}")
            if not isinstance(item, dict):
                raise bad(f"expected an object, found {type(item).__name__}")
            for key in ("name", "shape", "offset", "layer", "kind", "role"):
                if key not in item:
                    raise bad(f"missing '{key}'")
            name, shape = item["name"], item["shape"]
            if not isinstance(name, str) or not name:
                raise bad("'name' must be a non-empty string")
            if name in names:
                raise bad(f"'{name}' appears twice (state_dict keys are unique)")
            names.add(name)
            if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(_is_count(d) for d in shape):
                raise bad(f"'{name}': shape must be a list of at most {MAX_RANK} non-negative integers, found {shape!r}")
            for key in ("offset", "layer"):
                if not _is_count(item[key]):
                    raise bad(f"'{name}': '{key}' must be a non-negative integer, found {item[key]!r}")
            if item["kind"] not in KINDS:
                raise bad(f"'{name}': kind {item['kind']!r} is not one of {', '.join(KINDS)}")
            if item["role"] not in ROLES:
                raise bad(f"'{name}': role {item['role']!r} is not one of {', '.join(ROLES)}")
            if item["offset"] != offset:
                raise bad(f"'{name}': offset {item['offset']}, expected {offset} (tensors are contiguous from 0)")
            count = 1
            for d in shape:
                count *= d
            offset += count
            if offset > MAX_PARAMETERS:
                raise bad(f"rows longer than {MAX_PARAMETERS} parameters")
            entries.append(ParameterEntry(name, tuple(shape), item["offset"], item["layer"], item["kind"], item["role"]))
        return cls(entries)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, key):
        """An entry by position or by state_dict name."""
        if isinstance(key, str):
            for entry in self.entries:
                if entry.name == key:
                    return entry
            raise KeyError(key)
        return self.entries[key]

    def __eq__(self, other):
        return isinstance(other, ParameterTable) and self.entries == other.entries

    def __repr__(self):
        return f"ParameterTable({len(self.entries)} tensors, {self.parameter_count} parameters)"

    @property
    def names(self):
        """State_dict keys in row order."""
        return [e.name for e in self.entries]

    @property
    def shapes(self):
        """{name: shape} in row order."""
        return {e.name: e.shape for e in self.entries}

    def as_json(self):
        """The table as the JSON list stored in the file."""
        return [e.as_json() for e in self.entries]

    def state_dict(self, row):
        """Slices one flat row [P] into {name: array of its shape} (views of `row`, table order)."""
        row = np.asarray(row)
        if row.shape != (self.parameter_count,):
            raise ValueError(f"row has shape {list(row.shape)}, the table expects [{self.parameter_count}]")
        return {e.name: row[e.offset:e.offset + e.count].reshape(e.shape) for e in self.entries}

    def flatten(self, state_dict):
        """The flat float32 row [P] of a state_dict (numpy arrays or torch tensors) with exactly
        this table's names and shapes: the inverse of `state_dict`."""
        missing = [e.name for e in self.entries if e.name not in state_dict]
        extra = [k for k in state_dict if k not in {e.name for e in self.entries}]
        if missing or extra:
            raise ValueError(f"state_dict keys differ from the table: missing {missing}, unexpected {extra}")
        row = np.empty(self.parameter_count, dtype=np.float32)
        for e in self.entries:
            value = as_numpy(state_dict[e.name])
            if tuple(value.shape) != e.shape:
                raise ValueError(f"{e.name}: shape {list(value.shape)}, the table expects {list(e.shape)}")
            row[e.offset:e.offset + e.count] = value.reshape(-1)
        return row

    def structure_difference(self, reference):
        """The first difference in structure (shapes, layers, kinds, roles; not names), or None."""
        if len(self.entries) != len(reference.entries):
            return f"{len(self.entries)} tensors, expected {len(reference.entries)}"
        for k, (mine, theirs) in enumerate(zip(self.entries, reference.entries)):
            what = f"tensor {k} ('{mine.name}')"
            if mine.shape != theirs.shape:
                return f"{what} has shape {list(mine.shape)}, expected {list(theirs.shape)}"
            if mine.layer != theirs.layer:
                return f"{what} belongs to layer {mine.layer}, expected {theirs.layer}"
            if mine.kind != theirs.kind:
                return f"{what} is {mine.kind}, expected {theirs.kind}"
            if mine.role != theirs.role:
                return f"{what} is a {mine.role}, expected a {theirs.role}"
        return None


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
