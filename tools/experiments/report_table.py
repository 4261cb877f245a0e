#!/usr/bin/env python3
"""Markdown tables of an hz-eval report.json: mean ± sd test accuracy per population and epoch
(in distribution and for each transfer), and the ensembles. Used for docs/RESULTS.md so that the
numbers there are read from the report, never typed by hand.

    tools/experiments/report_table.py runs/paper-fmnist/eval/report/report.json
"""
import json
import statistics
import sys


def cell(accuracies):
    values = [100 * a for a in accuracies]
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {sd:.1f}"


def table(title, populations):
    epochs = sorted({e["epoch"] for p in populations for e in p["epochs"]})
    print(f"\n{title}\n")
    print("| population | n | " + " | ".join(f"epoch {e}" for e in epochs) + " |")
    print("|---|---|" + "---|" * len(epochs))
    for p in populations:
        by_epoch = {e["epoch"]: e["accuracies"] for e in p["epochs"]}
        cells = [cell(by_epoch[e]) if e in by_epoch else "—" for e in epochs]
        print(f"| {p['name']} | {p['modelCount']} | " + " | ".join(cells) + " |")


def main(path):
    with open(path) as f:
        report = json.load(f)
    table(f"In distribution ({report['settings'].get('dataset', '?')}), test accuracy % (mean ± sd)",
          report["populations"])
    for transfer in report.get("transfers", []):
        table(f"Transfer {transfer['source']} → {transfer['target']}, test accuracy % (mean ± sd)",
              transfer["populations"])
    if report.get("ensembles"):
        print("\nEnsembles: accuracy of the averaged prediction, % (mean over trials), and the members' mean accuracy\n")
        print("| population | size | epoch | ensemble | members |")
        print("|---|---|---|---|---|")
        for e in report["ensembles"]:
            members = e["memberMeanAccuracy"]
            members = members["mean"] if isinstance(members, dict) else members
            print(f"| {e['population']} | {e['size']} | {e['epoch']} | {100 * e['accuracy']['mean']:.1f} | {100 * members:.1f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report_table.py report.json")
    main(sys.argv[1])
