#!/usr/bin/env python3
"""Usage: $HYPERZOO_PYTHON tools/check/compare_zoo_h5.py A.h5 B.h5 (needs h5py, numpy).
Compares two HDF5 zoo files object by object: every dataset's dtype, shape and values
(NaN-aware, bit-exact) and every attribute; prints the attributes that differ (e.g. timestamps)."""
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = lambda f: (lambda out: (f.visit(out.append), out)[1])([])
na, nb = names(a), names(b)
assert na == nb, f"object lists differ: {set(na) ^ set(nb)}"
datasets = attr_same = 0
attr_diff = []
for n in [""] + na:
    oa, ob = (a[n] if n else a), (b[n] if n else b)
    if isinstance(oa, h5py.Dataset):
        x, y = oa[()], ob[()]
        assert x.dtype == y.dtype and x.shape == y.shape, n
        if x.dtype.kind == "f":
            assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), f"{n}: values differ"
        else:
            assert np.array_equal(x, y), f"{n}: values differ"
        datasets += 1
    for k in set(oa.attrs) | set(ob.attrs):
        va, vb = oa.attrs.get(k), ob.attrs.get(k)
        same = np.array_equal(np.asarray(va), np.asarray(vb)) if va is not None and vb is not None else False
        if same: attr_same += 1
        else: attr_diff.append(f"{n or '/'}@{k}")
print(f"{datasets} datasets bit-identical; {attr_same} attributes equal; differing attributes: {attr_diff}")
raise SystemExit(1 if attr_diff else 0)   # datasets that differ already failed their assert
