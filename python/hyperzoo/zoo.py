"""Zoos and populations: the `hyperzoo.zoo` / `hyperzoo.population` HDF5 layout of
schemas/zoo-layout.md (format_version 1 and 2), read with h5py and numpy.

Opening checks the whole layout and reads only the small per-row columns (model, epoch, six
metrics) and the models table; weights stay on disk and are read row by row (or in runs of
consecutive rows) when asked for.
"""
import os

import numpy as np

from . import _hdf5 as h5
from ._frameworks import check_framework, convert_state_dict
from .errors import FormatError
from .table import ParameterTable
from .tokens import NeuronTokenLayout

#: The newest format_version this package reads.
SUPPORTED_VERSION = 2
ZOO_FORMAT = "hyperzoo.zoo"
POPULATION_FORMAT = "hyperzoo.population"
#: The six per-checkpoint metrics, as the layout names their datasets (NaN = unknown).
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")
SPLITS = ("train", "val", "test")
#: Default ceiling for one `rows()` call (the caller may raise it): a whole zoo in memory is a choice.
DEFAULT_MAX_BYTES = 8 << 30


class Model:
    """One entry of `/models`: every checkpoint of a model shares it.

    Attributes:
        index: position in `/models` (what the `model` column refers to).
        id: the unique model id.
        seed: the training seed, or None when unknown (-1 in the file).
        dataset: e.g. ``fashion-mnist``, or None when unknown.
        split: ``train``, ``val`` or ``test``.
    """

    __slots__ = ("index", "id", "seed", "dataset", "split", "_hyperparameters", "_provenance", "_source")

    def __init__(self, index, id, seed, dataset, split, hyperparameters, provenance, source):
        self.index, self.id, self.seed, self.dataset, self.split = index, id, seed, dataset, split
        self._hyperparameters, self._provenance, self._source = hyperparameters, provenance, source

    @property
    def hyperparameters(self):
        """The training recipe (a dict; model-hyperparameters.schema.json)."""
        return self._json("hyperparameters", self._hyperparameters)

    @property
    def provenance(self):
        """Where the model came from (a dict; model-provenance.schema.json)."""
        return self._json("provenance", self._provenance)

    def _json(self, column, source):
        if source == "":
            return {}
        return h5.json_object_entry(source, self._source, f"/models/{column}", self.index)

    def __repr__(self):
        return f"Model({self.id!r}, split={self.split!r}, seed={self.seed})"


class Checkpoint:
    """One checkpoint row: which model, which epoch, its metrics.

    Attributes:
        row: the global row number in the file (rows are numbered group after group).
        model: the `Model`.
        epoch: the training epoch.
        architecture: the group under `/architectures` holding the row.
        metrics: {metric: float}, NaN where unknown (keys: `METRICS`).
    """

    __slots__ = ("row", "model", "epoch", "architecture", "metrics")

    def __init__(self, row, model, epoch, architecture, metrics):
        self.row, self.model, self.epoch, self.architecture, self.metrics = row, model, epoch, architecture, metrics

    @property
    def model_id(self):
        return self.model.id

    @property
    def split(self):
        return self.model.split

    def __repr__(self):
        return f"Checkpoint(row={self.row}, model={self.model.id!r}, epoch={self.epoch}, split={self.model.split!r})"


class _Group:
    """One group under /architectures: its table, weights dataset and per-row columns."""

    def __init__(self, name, table, weights, start, model, epoch, metrics):
        self.name, self.table, self.weights, self.start = name, table, weights, start
        self.model, self.epoch, self.metrics = model, epoch, metrics
        self.count = len(epoch)


class Zoo:
    """An open zoo (or a selection of its checkpoints), h5py-style: use it as a context manager.

        with hyperzoo.open_zoo("zoo.h5") as zoo:
            best = zoo.select(split="train", epoch=25, metric_at_least={"test_acc": 0.8})
            X = best.rows()                         # float32 [N, P]
            sd = best.state_dict(0, framework="torch")
            net.load_state_dict(sd)

    Indexing (`zoo[i]`, `len`, iteration, `state_dict(i)`, `row(i)`) is over the checkpoints of
    this view, in file row order; `Checkpoint.row` is the row in the file. `select` returns a
    new view sharing the open file.

    Attributes:
        path, format, format_version: the file and its root attributes.
        architectures: the groups under /architectures in row order (one unless format_version 2).
        architecture: the first group's name.
        parameter_table: the first group's `ParameterTable` (every group shares its structure).
        parameter_tables: {group name: its `ParameterTable`} (the state_dict names differ).
        parameter_count: P, values per row.
        config: the root `config` attribute, decoded.
        models: every `Model` of the file, in /models order.
    """

    def __init__(self, state, rows):
        self._state = state
        self._rows = rows

    # -- file-wide facts -------------------------------------------------------------------
    path = property(lambda self: self._state.path)
    format = property(lambda self: self._state.format)
    format_version = property(lambda self: self._state.version)
    architectures = property(lambda self: [g.name for g in self._state.groups])
    architecture = property(lambda self: self._state.groups[0].name)
    parameter_table = property(lambda self: self._state.groups[0].table)
    parameter_tables = property(lambda self: {g.name: g.table for g in self._state.groups})
    parameter_count = property(lambda self: self._state.groups[0].table.parameter_count)
    models = property(lambda self: list(self._state.models))

    @property
    def config(self):
        """The root `config` attribute (how the file was made), decoded."""
        return self._state.root_json("config", dict, required=False) or {}

    def attribute(self, name):
        """A JSON root attribute other than the layout's own (e.g. `sampler`), decoded, or None."""
        return self._state.root_json(name, object, required=False)

    @property
    def token_layout(self):
        """The `NeuronTokenLayout` of the shared parameter structure (built on first use)."""
        state = self._state
        if state.tokens is None:
            g = state.groups[0]
            state.tokens = NeuronTokenLayout(g.table, state.path, f"/architectures/{g.name}")
        return state.tokens

    # -- the checkpoints of this view ------------------------------------------------------
    @property
    def row_numbers(self):
        """int64 [N]: the file rows of this view's checkpoints, in order."""
        return self._rows.copy()

    def __len__(self):
        return len(self._rows)

    def __iter__(self):
        for k in range(len(self._rows)):
            yield self.checkpoint(k)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Zoo(self._state, self._rows[index])
        return self.checkpoint(index)

    def checkpoint(self, index):
        """The `Checkpoint` at position `index` of this view (negative counts from the end)."""
        row = self._row(index)
        g, local = self._state.locate(row)
        metrics = {m: float(g.metrics[m][local]) for m in METRICS}
        return Checkpoint(int(row), self._state.models[g.model[local]], int(g.epoch[local]), g.name, metrics)

    @property
    def epochs(self):
        """int64 [N]: the epoch of each checkpoint of this view."""
        return self._state.column("epoch")[self._rows]

    @property
    def model_ids(self):
        """[N] model id of each checkpoint of this view."""
        index = self._state.column("model")[self._rows]
        return [self._state.models[m].id for m in index]

    @property
    def splits(self):
        """[N] split of each checkpoint of this view."""
        index = self._state.column("model")[self._rows]
        return [self._state.models[m].split for m in index]

    def metric(self, name):
        """float32 [N]: one metric (`METRICS`) of each checkpoint of this view, NaN where unknown."""
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
        return self._state.column(name)[self._rows]

    def select(self, split=None, epoch=None, model=None, architecture=None, metric_at_least=None, metric_at_most=None):
        """The checkpoints of this view meeting every given condition, as a new view (row order kept).

        Args:
            split: ``train``, ``val`` or ``test`` (the split stored with each model), or several.
            epoch: an epoch, or an iterable of epochs (e.g. ``range(21, 26)``).
            model: a model id, or an iterable of ids.
            architecture: a group name, or several.
            metric_at_least: {metric: threshold}: keep checkpoints whose metric is ≥ threshold
                (an unknown, NaN metric never passes), e.g. ``{"test_acc": 0.5}``.
            metric_at_most: {metric: threshold}, likewise with ≤ (for losses).
        """
        state = self._state
        keep = np.ones(len(self._rows), dtype=bool)
        model_column = state.column("model")[self._rows]
        if split is not None:
            wanted = _as_set(split, str, "split")
            unknown = wanted - set(SPLITS)
            if unknown:
                raise ValueError(f"split {sorted(unknown)} is not one of train, val, test")
            split_of_model = np.array([m.split for m in state.models], dtype=object)
            keep &= np.isin(split_of_model[model_column], list(wanted))
        if epoch is not None:
            keep &= np.isin(state.column("epoch")[self._rows], list(_as_set(epoch, int, "epoch")))
        if model is not None:
            wanted = _as_set(model, str, "model")
            indices = [m.index for m in state.models if m.id in wanted]
            keep &= np.isin(model_column, indices)
        if architecture is not None:
            wanted = _as_set(architecture, str, "architecture")
            unknown = wanted - {g.name for g in state.groups}
            if unknown:
                raise ValueError(f"architecture {sorted(unknown)} is not in this file ({', '.join(g.name for g in state.groups)})")
            group_of_row = state.group_index(self._rows)
            keep &= np.isin(group_of_row, [k for k, g in enumerate(state.groups) if g.name in wanted])
        for bound, compare in ((metric_at_least, np.greater_equal), (metric_at_most, np.less_equal)):
            for name, threshold in _metric_bounds(bound):
                values = state.column(name)[self._rows]
                with np.errstate(invalid="ignore"):
                    keep &= compare(values, np.float32(threshold)) & ~np.isnan(values)
        return Zoo(state, self._rows[keep])

    # -- weights ---------------------------------------------------------------------------
    def row(self, index):
        """float32 [P]: the weights of checkpoint `index` of this view (one hyperslab read)."""
        return self._state.read_rows(np.array([self._row(index)]))[0]

    def rows(self, max_bytes=DEFAULT_MAX_BYTES):
        """float32 [N, P]: every checkpoint of this view, in order.

        Refuses (ValueError) to allocate more than `max_bytes`; pass a larger value, or select
        fewer rows, or iterate with `batches`.
        """
        need = len(self._rows) * self.parameter_count * 4
        if need > max_bytes:
            raise ValueError(f"{self.path}: {len(self._rows)} rows of {self.parameter_count} parameters need {need} bytes, "
                             f"more than max_bytes={max_bytes}; select fewer rows, use batches(), or raise max_bytes")
        return self._state.read_rows(self._rows)

    def batches(self, batch_size=256):
        """Yields (positions [B], float32 [B, P]) for consecutive batches of this view."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        for start in range(0, len(self._rows), batch_size):
            chunk = self._rows[start:start + batch_size]
            yield np.arange(start, start + len(chunk)), self._state.read_rows(chunk)

    def table_of(self, index):
        """The `ParameterTable` of checkpoint `index` of this view, with its own state_dict names."""
        g, _ = self._state.locate(self._row(index))
        return g.table

    def state_dict(self, index, framework="numpy"):
        """The state_dict of checkpoint `index` of this view, named and shaped by its own group.

        Args:
            framework: ``numpy`` (float32 arrays) or ``torch`` (CPU float32 tensors, loadable with
                ``module.load_state_dict``).
        """
        check_framework(framework)
        table = self.table_of(index)
        return convert_state_dict(table.state_dict(self.row(index)), framework)

    def tokens(self, index):
        """(tokens float32 [T, W], mask bool [T, W]) of checkpoint `index`: neuron tokens."""
        layout = self.token_layout
        return layout.tokenize(self.row(index)), layout.mask.copy()

    def as_torch_dataset(self, tokens=False, target=None):
        """A `torch.utils.data.Dataset` over this view's checkpoints (needs torch).

        Items are float32 tensors [P] (flat rows) or, with ``tokens=True``, dicts
        ``{"tokens": [T, W], "mask": bool [T, W], "positions": int64 [T, 3]}`` of neuron tokens.
        With ``target="test_acc"`` (any of `METRICS`, or ``"epoch"``) an item is ``(x, y)``.
        The dataset reopens the file in each DataLoader worker, so ``num_workers > 0`` works.
        """
        from .torch_data import ZooDataset
        return ZooDataset(self, tokens=tokens, target=target)

    # -- housekeeping ----------------------------------------------------------------------
    def close(self):
        """Closes the file (every view of it)."""
        self._state.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        kind = "Population" if self.format == POPULATION_FORMAT else "Zoo"
        return (f"<{kind} {os.path.basename(self.path)!r}: {len(self)} checkpoints of {len(self._state.models)} models, "
                f"{self.parameter_count} parameters, architectures {self.architectures}>")

    def _row(self, index):
        n = len(self._rows)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"checkpoint index must be an integer, not {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"checkpoint {index} outside this view's {n} checkpoints")
        return int(self._rows[index])


class Population(Zoo):
    """A population sampled by hz-sample: the zoo layout plus the sampler's root attributes.

    Attributes (decoded JSON, None when absent):
        sampler: the sampling method (key ``sampler``) and its settings.
        anchors: which zoo rows the sampler was fitted to (``zoo``, ``rows``, ``count``, ...).
        seed: the sampling seed.
        provenance: the AE checkpoint and zoo it came from.
        latent_projection: the 2-D latent map hz-sample stores, if any.
    """

    sampler = property(lambda self: self._state.root_json("sampler", dict, required=False))
    anchors = property(lambda self: self._state.root_json("anchors", dict, required=False))
    seed = property(lambda self: self._state.root_json("seed", int, required=False))
    provenance = property(lambda self: self._state.root_json("provenance", dict, required=False))
    latent_projection = property(lambda self: self._state.root_json("latent_projection", dict, required=False))

    def select(self, *args, **kwargs):
        return Population(self._state, super().select(*args, **kwargs)._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Population(self._state, self._rows[index])
        return self.checkpoint(index)


def open_zoo(path):
    """Opens a zoo file (`hyperzoo.zoo`; a population opens too, as a `Population`).

    Raises:
        FormatError: the file is missing, not HDF5, foreign, newer than this package, or breaks
            the layout anywhere (one line naming the file and the object).
    """
    state = _ZooState(path, accepted=(ZOO_FORMAT, POPULATION_FORMAT))
    cls = Population if state.format == POPULATION_FORMAT else Zoo
    return cls(state, np.arange(state.total, dtype=np.int64))


def open_population(path):
    """Opens a population written by hz-sample (`hyperzoo.population`); see `Population`."""
    state = _ZooState(path, accepted=(POPULATION_FORMAT,))
    return Population(state, np.arange(state.total, dtype=np.int64))


class _ZooState:
    """The open file and everything read from it at open time, shared by every view."""

    def __init__(self, path, accepted):
        self.path = os.fspath(path)
        self.tokens = None
        self.file = h5.open_file(self.path)
        try:
            self._load(accepted)
        except BaseException:
            self.file.close()
            raise

    def _load(self, accepted):
        f, path = self.file, self.path
        self.format, self.version = check_format(f, path, accepted)
        names = self._architecture_names()
        if "architectures" not in f or not isinstance(f["architectures"], h5.h5py_module().Group):
            raise FormatError(path, "/architectures", "missing group required by the layout")
        self.groups, start = [], 0
        for name in names:
            group = self._read_group(name, start)
            if self.groups:
                difference = group.table.structure_difference(self.groups[0].table)
                if difference:
                    raise FormatError(path, f"/architectures/{name}", f"parameter structure differs from /architectures/{self.groups[0].name}: "
                                                                        f"{difference} (all architectures of one file must share shapes, layers and roles; only names may differ)")
            self.groups.append(group)
            start += group.count
        self.total = start
        self.models = self._read_models()
        owner = np.full(len(self.models), -1, dtype=np.int64)
        for k, g in enumerate(self.groups):
            where = f"/architectures/{g.name}/model"
            if g.count and (g.model.min() < 0 or g.model.max() >= len(self.models)):
                bad = int(g.model[(g.model < 0) | (g.model >= len(self.models))][0])
                raise FormatError(path, where, f"model index {bad} outside the {len(self.models)} models")
            used = np.unique(g.model)
            clash = used[(owner[used] != -1) & (owner[used] != k)]
            if clash.size:
                other = self.groups[owner[clash[0]]].name
                raise FormatError(path, where, f"model '{self.models[clash[0]].id}' also has rows in /architectures/{other}; expected each model in one architecture")
            owner[used] = k
        self.starts = np.array([g.start for g in self.groups], dtype=np.int64)
        self._columns = {}

    def _architecture_names(self):
        f, path = self.file, self.path
        first = h5.string_attribute(f, "architecture", path)
        if "architectures" not in f.attrs:
            return [first]
        names = h5.json_attribute(f, "architectures", path, list)
        if not names or not all(isinstance(n, str) and n and "/" not in n for n in names) or len(set(names)) != len(names):
            raise FormatError(path, "/", f"root attribute 'architectures' {names}: expected distinct non-empty group names without '/'")
        if names[0] != first:
            raise FormatError(path, "/", f"root attribute 'architectures' {names} must start with 'architecture' ('{first}')")
        if len(names) > 1 and self.version < 2:
            raise FormatError(path, "/", f"{len(names)} architectures in a format_version {self.version} file; expected format_version 2")
        return names

    def _read_group(self, name, start):
        f, path = self.file, self.path
        where = f"/architectures/{name}"
        if name not in f["architectures"] or not isinstance(f["architectures"][name], h5.h5py_module().Group):
            raise FormatError(path, where, "missing group required by the layout (listed in the root attributes)")
        group = f["architectures"][name]
        table = ParameterTable.from_json(h5.json_attribute(group, "parameter_table", path, list), path, where)
        p = table.parameter_count
        if p == 0:
            raise FormatError(path, where, "the parameter table is empty")
        count_attr = h5.int_attribute(group, "parameter_count", path)
        if count_attr != p:
            raise FormatError(path, where, f"attribute 'parameter_count' is {count_attr}, the parameter table sums to {p}")
        weights = h5.dataset(group, "weights", path, "float32", 2)
        if weights.shape[1] != p:
            raise FormatError(path, weights.name, f"expected shape [rows, {p}], found {list(weights.shape)}")
        n = weights.shape[0]
        h5.check_stored(weights, path)
        committed = h5.int_attribute(group, "checkpoint_count", path)
        if committed != n:
            raise FormatError(path, where, f"attribute 'checkpoint_count' is {committed} but weights has {n} rows: "
                                           f"the file was not finished (hyperzoo renames a file into place only when complete)")
        names = h5.read_strings(h5.dataset(group, "parameter_names", path, "string", 1), path)
        if names != table.names:
            raise FormatError(path, f"{where}/parameter_names", f"{names[:4]}... differ from the parameter_table's names {table.names[:4]}...")
        offsets = h5.read_column(h5.dataset(group, "parameter_offsets", path, "int64", 1), path)
        if offsets.tolist() != [e.offset for e in table.entries]:
            raise FormatError(path, f"{where}/parameter_offsets", "differ from the parameter_table's offsets")
        model = h5.read_column(h5.dataset(group, "model", path, "int64", 1), path, n)
        epoch = h5.read_column(h5.dataset(group, "epoch", path, "int64", 1), path, n)
        metrics = {m: h5.read_column(h5.dataset(group, m, path, "float32", 1), path, n) for m in METRICS}
        return _Group(name, table, weights, start, model, epoch, metrics)

    def _read_models(self):
        f, path = self.file, self.path
        if "models" not in f or not isinstance(f["models"], h5.h5py_module().Group):
            raise FormatError(path, "/models", "missing group required by the layout")
        group = f["models"]
        ids = h5.read_strings(h5.dataset(group, "id", path, "string", 1), path)
        m = len(ids)
        declared = h5.int_attribute(group, "model_count", path)
        if declared != m:
            raise FormatError(path, "/models", f"attribute 'model_count' is {declared} but /models/id has {m} entries: the file was not finished")
        seeds = h5.read_column(h5.dataset(group, "seed", path, "int64", 1), path, m)
        columns = {c: h5.read_strings(h5.dataset(group, c, path, "string", 1), path, m)
                   for c in ("dataset", "split", "hyperparameters", "provenance")}
        if len(set(ids)) != m:
            seen = set()
            duplicate = next(i for i in ids if i in seen or seen.add(i))
            raise FormatError(path, "/models/id", f"model id '{duplicate}' appears twice; expected unique ids")
        models = []
        for i in range(m):
            split = columns["split"][i]
            if split not in SPLITS:
                raise FormatError(path, "/models/split", f"entry {i}: '{split}' is not train, val or test")
            seed = int(seeds[i])
            models.append(Model(i, ids[i], None if seed < 0 else seed, columns["dataset"][i] or None, split,
                                columns["hyperparameters"][i], columns["provenance"][i], path))
        return models

    # -- lookups -----------------------------------------------------------------------------
    def column(self, name):
        """A per-row column over the whole file (global rows), concatenated once on first use."""
        if name not in self._columns:
            parts = [g.model if name == "model" else g.epoch if name == "epoch" else g.metrics[name] for g in self.groups]
            self._columns[name] = np.concatenate(parts) if parts else np.zeros(0)
        return self._columns[name]

    def group_index(self, rows):
        return np.searchsorted(self.starts, rows, side="right") - 1

    def locate(self, row):
        g = self.groups[int(self.group_index(np.array([row]))[0])]
        return g, row - g.start

    def read_rows(self, rows):
        """float32 [len(rows), P] for global `rows` (any order): one read per run of consecutive rows."""
        p = self.groups[0].table.parameter_count
        out = np.empty((len(rows), p), dtype=np.float32)
        if len(rows) == 0:
            return out
        groups = self.group_index(rows)
        k = 0
        while k < len(rows):
            end = k + 1
            while end < len(rows) and rows[end] == rows[end - 1] + 1 and groups[end] == groups[k]:
                end += 1
            g = self.groups[groups[k]]
            local = int(rows[k] - g.start)
            try:
                g.weights.read_direct(out, np.s_[local:local + end - k], np.s_[k:end])
            except OSError as error:
                raise FormatError(self.path, g.weights.name, f"cannot read rows {rows[k]}..{rows[end - 1]} ({error}); the file is corrupt") from None
            k = end
        return out

    def root_json(self, name, kind, required=True):
        return h5.json_attribute(self.file, name, self.path, kind, required)

    def close(self):
        if self.file.id.valid:
            self.file.close()


def check_format(f, path, accepted):
    """Checks the root `format` and `format_version`; returns them."""
    if "format" not in f.attrs:
        raise FormatError(path, "/", "not a hyperzoo file: no root attribute 'format'")
    fmt = h5.string_attribute(f, "format", path)
    known = (ZOO_FORMAT, POPULATION_FORMAT, "hyperzoo.ae")
    if fmt not in known:
        raise FormatError(path, "/", f"unknown format '{fmt}', expected one of {', '.join(known)}")
    if fmt not in accepted:
        hint = {"hyperzoo.ae": " (an autoencoder checkpoint: use hyperzoo.open_autoencoder)",
                ZOO_FORMAT: " (a zoo: use hyperzoo.open_zoo)"}.get(fmt, "")
        raise FormatError(path, "/", f"format is '{fmt}', expected {' or '.join(accepted)}{hint}")
    version = h5.int_attribute(f, "format_version", path)
    newest = 1 if fmt == "hyperzoo.ae" else SUPPORTED_VERSION
    if version > newest:
        raise FormatError(path, "/", f"format_version {version} is newer than this hyperzoo package reads ({newest}); upgrade it")
    if version < 1:
        raise FormatError(path, "/", f"invalid format_version {version}")
    return fmt, version


def _as_set(value, kind, what):
    """One value or an iterable of them, as a set, each checked to be of `kind` (int or str)."""
    if kind is int:
        single = isinstance(value, (int, np.integer))
        ok = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    else:
        single = isinstance(value, kind)
        ok = lambda v: isinstance(v, kind)
    values = [value] if single else list(value)
    for v in values:
        if not ok(v):
            raise TypeError(f"{what}: expected {kind.__name__} values, found {v!r}")
    return {int(v) if kind is int else v for v in values}


def _metric_bounds(bound):
    if bound is None:
        return []
    if not isinstance(bound, dict):
        raise TypeError("metric bounds are dicts {metric: threshold}, e.g. {'test_acc': 0.5}")
    for name in bound:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return list(bound.items())
