#!/usr/bin/env python3
"""Difference of mean test accuracy between two populations taken from two hz-eval reports
(same zoo, recipe and epochs), with a bootstrap 95% interval, per epoch. For controls evaluated in
a separate hz-eval run (e.g. tools/experiments/scale_matched_control.py's population).

    tools/experiments/compare_populations.py a/report.json S_KDE30 b/report.json scaled-control
"""
import json
import sys

import numpy as np


def accuracies(path, name):
    with open(path) as f:
        report = json.load(f)
    for population in report["populations"]:
        if population["name"] == name:
            return {e["epoch"]: np.array(e["accuracies"]) for e in population["epochs"]}
    sys.exit(f"{path}: no population named {name}")


def main(path_a, name_a, path_b, name_b, resamples=10000, seed=1):
    a, b = accuracies(path_a, name_a), accuracies(path_b, name_b)
    rng = np.random.default_rng(seed)
    print(f"| epoch | {name_a} | {name_b} | difference (points) | bootstrap 95% interval |")
    print("|---|---|---|---|---|")
    for epoch in sorted(set(a) & set(b)):
        x, y = 100 * a[epoch], 100 * b[epoch]
        draws = [rng.choice(x, len(x)).mean() - rng.choice(y, len(y)).mean() for _ in range(resamples)]
        low, high = np.percentile(draws, [2.5, 97.5])
        print(f"| {epoch} | {x.mean():.1f} | {y.mean():.1f} | {x.mean() - y.mean():+.1f} | {low:+.1f} to {high:+.1f} |")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: compare_populations.py reportA.json NAME_A reportB.json NAME_B")
    main(*sys.argv[1:])
