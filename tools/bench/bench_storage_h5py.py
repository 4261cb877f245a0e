#!/usr/bin/env python3
"""The h5py side of tools/bench/bench-storage: the write/read approach of
../shared/peers/convert_modelzoo_h5py.py (all rows stacked in memory, one create_dataset with
chunks=(64, P), optional gzip+shuffle; read back in slices of 64 rows, summing each), fed from
the same synthetic .npy the Swift side uses instead of torch checkpoints.

Usage: $HYPERZOO_PYTHON tools/bench/bench_storage_h5py.py write NPY OUT.h5 [--epochs 51] [--compress]
       bench_storage_h5py.py read OUT.h5
Prints one JSON line."""
import json, sys, time
import h5py
import numpy as np

mode, args = sys.argv[1], sys.argv[2:]
if mode == "write":
    src, out = args[0], args[1]
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 51
    compress = "--compress" in args
    t0 = time.perf_counter()
    W = np.load(src)  # the peer stacks every row in memory before writing
    n = W.shape[0]
    meta = [(f"m{i // epochs}", i % epochs, (i % epochs) / epochs) for i in range(n)]
    with h5py.File(out, "w") as f:
        kw = dict(compression="gzip", shuffle=True) if compress else {}
        f.create_dataset("weights", data=W, chunks=(min(64, n), W.shape[1]), **kw)
        f.create_dataset("epoch", data=np.array([m[1] for m in meta], np.int32))
        f.create_dataset("test_acc", data=np.array([m[2] for m in meta], np.float32))
        f.create_dataset("model", data=[m[0] for m in meta], dtype=h5py.string_dtype())
    t1 = time.perf_counter()
    print(json.dumps({"op": "write", "impl": "h5py", "compressed": compress, "rows": n, "params": int(W.shape[1]),
                      "seconds": t1 - t0, "MB_per_s": W.nbytes / 1e6 / (t1 - t0)}))
elif mode == "read":
    t1 = time.perf_counter()
    with h5py.File(args[0], "r") as f:
        d = f["weights"]; s = 0.0
        for i in range(0, d.shape[0], 64):
            s += float(d[i:i + 64].sum())
        n, p = d.shape
    t2 = time.perf_counter()
    print(json.dumps({"op": "read", "impl": "h5py", "rows": n, "batch": 64, "seconds": t2 - t1,
                      "MB_per_s": n * p * 4 / 1e6 / (t2 - t1), "checksum": s}))
else:
    sys.exit(f"unknown mode {mode}")
