"""Neuron tokens, exactly as hyperzoo's `TokenLayout` (Sources/HyperRep/Tokens) builds them.

One token per output neuron (conv kernel or linear unit): its fan-in weights in row-major order,
then its bias. Layers come in table order, neurons in order within a layer; tokens are
zero-padded to the widest layer, with a mask marking real values. Layers of kind `other` are
read the same way (axis 0 as neurons, a rank-0 tensor as one neuron), so every value of a row
lands in exactly one token slot and `detokenize(tokenize(row)) == row` bit for bit.
"""
import numpy as np

from .errors import FormatError


class NeuronTokenLayout:
    """The token layout of one parameter table.

    Attributes:
        token_count: T, tokens per row.
        token_width: W, the widest token (fan-in + bias).
        widths: [T] unpadded width of each token.
        positions: int64 [T, 3], (token, layer, neuron) per token.
        mask: bool [T, W], True where a slot holds a parameter.
        source_index: int64 [T, W], the flat-row index each slot holds (-1 for padding).
    """

    def __init__(self, table, path="", where=""):
        layers = []  # (layer index, rows, fan_in, weight offset, bias offset or None)
        for e in table.entries:
            if e.layer == len(layers):
                rows = e.shape[0] if e.shape else 1
                fan_in = e.count // rows if rows else 0
                layers.append([e.layer, rows, fan_in, e.offset, None])
            elif e.role == "bias" and e.layer < len(layers):
                layers[e.layer][4] = e.offset
        width = max((l[2] + (l[4] is not None) for l in layers), default=0)
        tokens = sum(l[1] for l in layers)
        index = np.full((tokens, width), -1, dtype=np.int64)
        positions = np.zeros((tokens, 3), dtype=np.int64)
        t = 0
        for layer, rows, fan_in, weight, bias in layers:
            n = np.arange(rows, dtype=np.int64)
            index[t:t + rows, :fan_in] = weight + n[:, None] * fan_in + np.arange(fan_in, dtype=np.int64)[None, :]
            if bias is not None:
                index[t:t + rows, fan_in] = bias + n
            positions[t:t + rows, 0] = t + n
            positions[t:t + rows, 1] = layer
            positions[t:t + rows, 2] = n
            t += rows
        # Every row value in exactly one slot, as TokenLayout's validateBijection demands.
        used = index[index >= 0]
        if used.size != table.parameter_count or not np.array_equal(np.sort(used), np.arange(table.parameter_count)):
            raise FormatError(path, where, f"the parameter table cannot be read as neuron tokens: its layers cover "
                                           f"{used.size} slots for {table.parameter_count} parameters (each layer needs one weight "
                                           f"and at most one bias sharing axis 0, layers numbered from 0 in order)")
        self.token_count = tokens
        self.token_width = width
        self.source_index = index
        self.mask = index >= 0
        self.widths = self.mask.sum(axis=1)
        self.positions = positions
        self.parameter_count = table.parameter_count
        self._gather = np.where(self.mask, index, 0)

    def tokenize(self, rows):
        """Tokens [..., T, W] (float32, zero padding) of rows [..., P]."""
        rows = np.asarray(rows, dtype=np.float32)
        if rows.shape[-1:] != (self.parameter_count,):
            raise ValueError(f"rows have shape {list(rows.shape)}, expected [..., {self.parameter_count}]")
        tokens = rows[..., self._gather]
        tokens[..., ~self.mask] = 0
        return tokens

    def detokenize(self, tokens):
        """The flat rows [..., P] of tokens [..., T, W] (padding ignored)."""
        tokens = np.asarray(tokens, dtype=np.float32)
        if tokens.shape[-2:] != (self.token_count, self.token_width):
            raise ValueError(f"tokens have shape {list(tokens.shape)}, expected [..., {self.token_count}, {self.token_width}]")
        rows = np.empty(tokens.shape[:-2] + (self.parameter_count,), dtype=np.float32)
        rows[..., self.source_index[self.mask]] = tokens[..., self.mask]
        return rows
