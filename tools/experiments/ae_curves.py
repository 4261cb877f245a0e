#!/usr/bin/env python3
"""Learning curves of one or more hz-train runs side by side: reads each AE's
<ae>.metrics.jsonl and writes an SVG (train loss, validation R², validation loss) and a JSON
summary (best and last validation R², epoch of the best, seconds per epoch). Used to choose the
autoencoder's width, latent size and epochs from measurements (docs/RESULTS.md).

Usage: ae_curves.py runs/paper-fmnist/pilot-w128/ae.h5 runs/paper-fmnist/pilot-w256/ae.h5 --out curves
Labels are the parent folder names (the pipeline stage names). Standard library only.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from curves_svg import svg_curves, finite  # noqa: E402

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ae", nargs="+")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    series, summary = [], {}
    for i, path in enumerate(args.ae):
        metrics = path + ".metrics.jsonl"
        if not os.path.exists(metrics):
            sys.exit(f"ae_curves: {metrics}: missing (hz-train writes it beside the AE)")
        curve = [json.loads(line) for line in open(metrics) if line.strip()]
        label = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        series.append((label, COLOURS[i % len(COLOURS)], curve))
        r2 = [(r["epoch"], r["validationRSquared"]) for r in curve if finite(r.get("validationRSquared"))]
        best = max(r2, key=lambda t: t[1]) if r2 else (None, None)
        summary[label] = {"epochs": len(curve), "last_validation_r2": r2[-1][1] if r2 else None,
                          "best_validation_r2": best[1], "best_epoch": best[0],
                          "last_train_loss": curve[-1]["trainLoss"] if curve else None,
                          "seconds_per_epoch": sum(r["seconds"] for r in curve) / max(len(curve), 1)}
    svg_curves(series, [("trainLoss", "train loss"), ("validationRSquared", "validation R²"),
                        ("validationLoss", "validation loss")], os.path.join(args.out, "curves.svg"))
    json.dump(summary, open(os.path.join(args.out, "curves.json"), "w"), indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
