"""`torch.utils.data.Dataset` views of a zoo (imported only by `Zoo.as_torch_dataset`: needs torch)."""
import os

import numpy as np

from ._frameworks import torch_module
from .zoo import METRICS, _ZooState

torch = torch_module()


class ZooDataset(torch.utils.data.Dataset):
    """The checkpoints of a zoo view as flat rows or neuron tokens.

    Item k is checkpoint k of the view it was made from:
      - ``tokens=False``: float32 tensor [P];
      - ``tokens=True``: {"tokens": float32 [T, W] (zero padding), "mask": bool [T, W],
        "positions": int64 [T, 3] (token, layer, neuron)}, hyperzoo's neuron tokens;
      - with ``target``: the pair (that, float32 scalar tensor of the metric or epoch).

    Weights are read from the file per item; the file is opened once per process (DataLoader
    workers open their own handle, h5py handles must not cross a fork).
    """

    def __init__(self, zoo, tokens=False, target=None):
        if target is not None and target not in METRICS + ("epoch",):
            raise ValueError(f"target must be one of {', '.join(METRICS + ('epoch',))}, not {target!r}")
        self.path = zoo.path
        self.format = zoo.format
        self.rows = zoo.row_numbers
        self.parameter_count = zoo.parameter_count
        self.tokens = bool(tokens)
        self.target = target
        self.targets = None if target is None else np.asarray(zoo.epochs if target == "epoch" else zoo.metric(target), dtype=np.float32)
        if self.tokens:
            layout = zoo.token_layout
            self._mask = torch.from_numpy(layout.mask.copy())
            self._positions = torch.from_numpy(layout.positions.copy())
            self._layout = layout
        self._pid, self._state = os.getpid(), zoo._state

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        if not -len(self.rows) <= index < len(self.rows):
            raise IndexError(f"item {index} outside the dataset's {len(self.rows)} checkpoints")
        row = self._file_state().read_rows(self.rows[index:index + 1] if index >= 0 else self.rows[[index]])[0]
        if self.tokens:
            x = {"tokens": torch.from_numpy(self._layout.tokenize(row)), "mask": self._mask.clone(), "positions": self._positions.clone()}
        else:
            x = torch.from_numpy(row)
        if self.targets is None:
            return x
        return x, torch.tensor(self.targets[index])

    def _file_state(self):
        if self._state is None or self._pid != os.getpid():
            state = _ZooState(self.path, accepted=(self.format,))
            if state.total <= int(self.rows.max(initial=-1)) or state.groups[0].table.parameter_count != self.parameter_count:
                state.close()
                raise RuntimeError(f"{self.path} changed since the dataset was made (rows or parameter count differ)")
            self._pid, self._state = os.getpid(), state
        return self._state

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_state"] = None  # an open h5py file does not travel to another process
        return state
