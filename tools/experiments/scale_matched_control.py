#!/usr/bin/env python3
"""A scale-matched control population: the models of a noise-control population (hz-sample
--sampler noise-control), each parameter tensor rescaled so that the population's root-mean-square
per tensor equals that of a sampled population. It asks whether sampled models fine-tune better
only because the decoder shrinks weights (less tanh saturation), not because of what the
hyper-representation learned. Written as a new hyperzoo.population file (the source file is only
read); its `sampler` attribute says what it is.

    tools/experiments/scale_matched_control.py control.h5 sampled.h5 -o scaled.h5
"""
import argparse
import json
import os
import shutil
import sys

import h5py
import numpy as np


def tensor_bounds(table):
    return [(entry["name"], entry["offset"], entry["offset"] + int(np.prod(entry["shape"]))) for entry in table]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("control")
    parser.add_argument("sampled")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    if os.path.exists(args.output):
        sys.exit(f"{args.output}: exists; choose another output (nothing was written)")
    with h5py.File(args.sampled, "r") as sampled:
        architecture = sampled.attrs["architecture"]
        reference = sampled[f"architectures/{architecture}/weights"][:]
        table = json.loads(sampled[f"architectures/{architecture}"].attrs["parameter_table"])
    partial = args.output + ".partial"
    shutil.copyfile(args.control, partial)
    with h5py.File(partial, "r+") as out:
        if out.attrs["architecture"] != architecture:
            sys.exit(f"{args.control}: architecture {out.attrs['architecture']}, {args.sampled} has {architecture}")
        weights = out[f"architectures/{architecture}/weights"]
        values = weights[:]
        factors = {}
        for name, start, end in tensor_bounds(table):
            target = np.sqrt((reference[:, start:end].astype(np.float64) ** 2).mean())
            current = np.sqrt((values[:, start:end].astype(np.float64) ** 2).mean())
            factor = target / current if current > 0 else 1.0
            values[:, start:end] *= factor
            factors[name] = round(float(factor), 6)
        weights[...] = values.astype(np.float32)
        out.attrs["sampler"] = json.dumps({
            "kind": "scale-matched control", "source": args.control, "scale_reference": args.sampled,
            "per_tensor_factor": factors,
            "note": "noise-control models rescaled per tensor to the sampled population's RMS"})
        out.attrs["provenance"] = json.dumps({"command": " ".join(sys.argv)})
        for key in ("diagnostics", "latent_projection"):
            if key in out.attrs:
                del out.attrs[key]
    os.replace(partial, args.output)
    print(json.dumps(factors))


if __name__ == "__main__":
    main()
