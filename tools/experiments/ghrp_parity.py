#!/usr/bin/env python3
"""Training parity with the paper's official code: trains the official PyTorch autoencoder
(GHRP's SimCLRAEModule: AE_attn + projection head + GammaContrastReconLoss with layer-wise
normalisation) on exactly the views hz-train trained on, and compares the two learning curves.

The user points GHRP_SRC at the `src/` folder of a checkout of
HSG-AIML/NeurIPS_2022-Generative_Hyper_Representations; that code is not part of hyperzoo.
Needs torch, einops, numpy, h5py, ray and tensorboard (the official modules import them at load time; nothing here uses them).

What is shared between the two runs, so that only the implementations differ:
  - the training rows (zoo checkpoints of the train split at --zoo-epochs): they set the
    per-layer sigma of the normalised loss and the R^2 reference, as `set_normalization` and
    `set_mean_loss(weights_train)` do in the official trainable;
  - the views: the views .h5 written by `hz-augment` (detokenised here back to flat rows; the
    detokenisation is checked against the zoo rows before training);
  - the configuration (widths, latent, head, gamma, temperature, AdamW lr/wd, batch, epochs,
    drop-last batches), read from hz-train's AE file, so nothing is typed twice.
What differs: initialisation draws and batch order (each side's own RNG), float summation order.
So the comparison is against seed-to-seed spread: run hz-train with two or more seeds and pass
all their AE files; this script runs the official code with as many seeds.

Validation R^2 is measured the same way on both sides: clean held-out rows (val split, same
epochs), eval mode, 1 - L_rec(recon, rows) / L_rec(train mean, train rows).

Usage:
  GHRP_SRC=~/NeurIPS_2022-Generative_Hyper_Representations/src \\
  tools/experiments/ghrp_parity.py --zoo zoo.h5 --views views.h5 --zoo-epochs 21-25 \\
      --hz ae-seed1.h5 --hz ae-seed2.h5 --out parity/
writes parity/parity.json (both curves per seed, final-epoch spread and difference) and
parity/parity.svg (train loss and validation R^2 against epoch, hz-train and the official code).
"""
import argparse, json, math, os, sys, time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from curves_svg import svg_curves  # noqa: E402


def fail(message):
    print(f"ghrp_parity: {message}", file=sys.stderr)
    sys.exit(1)


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def parse_epochs(spec):
    out = set()
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


# ---------------------------------------------------------------------------------------------
# Reading hyperzoo files (layouts: schemas/zoo-layout.md, schemas/record-stream.md)

def zoo_rows(path, split, epochs):
    f = h5py.File(path, "r")
    names = json.loads(text(f.attrs.get("architectures", json.dumps([text(f.attrs["architecture"])]))))
    arch = f["architectures"][names[0]]
    table = json.loads(text(arch.attrs["parameter_table"]))
    splits = np.array([text(s) for s in f["models/split"][:]])
    model, epoch = arch["model"][:], arch["epoch"][:]
    keep = np.nonzero((splits[model] == split) & np.isin(epoch, sorted(epochs)))[0]
    rows = arch["weights"][keep] if len(keep) else np.zeros((0, len(table)), np.float32)
    return np.asarray(rows, np.float32), table, keep


def layers_of(table):
    """[(layer index, weight entry, bias entry)] in row order; weight then bias per layer."""
    by_layer = {}
    for p in table:
        by_layer.setdefault(p["layer"], {})[p["role"]] = p
    return [(k, v["weight"], v["bias"]) for k, v in sorted(by_layer.items())]


def index_dict(table):
    """The official code's index_dict for a weight-then-bias-per-layer row."""
    d = {"layer": [], "idx_start": [], "idx_length": [], "kernel_no": [], "kernel_size": [], "channels_in": []}
    for k, w, b in layers_of(table):
        shape = w["shape"]
        d["layer"].append([k, "conv2d" if len(shape) == 4 else "fc"])
        d["idx_start"].append(w["offset"])
        d["idx_length"].append(int(np.prod(shape)) + int(np.prod(b["shape"])))
        d["kernel_no"].append(shape[0])
        d["kernel_size"].append(int(np.prod(shape[2:])) if len(shape) == 4 else 1)
        d["channels_in"].append(shape[1])
    return d


def detokenize(tokens, table):
    """Neuron tokens [..., T, W] (fan-in weights then bias, padded) -> flat rows [..., P]."""
    lead = tokens.shape[:-2]
    P = sum(int(np.prod(p["shape"])) for p in table)
    out = np.zeros(lead + (P,), np.float32)
    t = 0
    for _, w, b in layers_of(table):
        n = w["shape"][0]
        fan_in = int(np.prod(w["shape"][1:]))
        block = tokens[..., t:t + n, :fan_in + 1]
        out[..., w["offset"]:w["offset"] + n * fan_in] = block[..., :fan_in].reshape(lead + (n * fan_in,))
        out[..., b["offset"]:b["offset"] + n] = block[..., fan_in]
        t += n
    return out


def views_by_epoch(path, table):
    """{augment epoch: (checkpoint ids [N], view 1 rows [N, P], view 2 rows [N, P])}."""
    f = h5py.File(path, "r")
    if text(f.attrs.get("format", "")) != "hyperzoo.views":
        fail(f"{path}: not a hyperzoo views file (make it with hz-augment ... -o views.h5)")
    aug = f["index/augment_epoch"][:]
    ckpt = f["index/checkpoint"][:]
    views = f["views"]
    out = {}
    for e in sorted(set(aug.tolist())):
        idx = np.nonzero(aug == e)[0]
        v = detokenize(np.asarray(views[idx[0]:idx[-1] + 1]), table)
        out[e] = (ckpt[idx], v[:, 0], v[:, 1])
    return out


def hz_run(path):
    """hz-train's configuration and per-epoch metrics: the AE file's `config` (architecture) and
    `/training` `options` (loss, optimizer, batch) attributes, and <path>.metrics.jsonl."""
    f = h5py.File(path, "r")
    if text(f.attrs.get("format", "")) != "hyperzoo.ae":
        fail(f"{path}: not a hyperzoo AE file")
    architecture = json.loads(text(f.attrs["config"]))
    options = json.loads(text(f["training"].attrs["options"]))
    metrics_path = path + ".metrics.jsonl"
    if not os.path.exists(metrics_path):
        fail(f"{metrics_path}: missing (hz-train writes it beside the AE)")
    curve = [json.loads(line) for line in open(metrics_path) if line.strip()]
    return architecture, options, curve


# ---------------------------------------------------------------------------------------------
# The official code

def official_config(architecture, options, table, seed):
    a, t = architecture, options
    optimizer = t["optimizer"]
    return {
        "model::type": "transformer", "device": "cpu", "seed": seed,
        "model::N_attention_blocks": a["blocks"], "model::i_dim": sum(int(np.prod(p["shape"])) for p in table),
        "model::dim_attention_embedding": a["modelWidth"], "model::N_attention_heads": a["heads"],
        "model::attention_hidden_dim": a["feedForwardWidth"], "model::latent_dim": a["latentSize"],
        "model::dropout": a["dropout"], "model::normalize": a["normalize"], "model::decoder_bias": a["decoderBias"],
        "model::compression": "token", "model::encoding": "neuron", "model::index_dict": index_dict(table),
        "model::bottleneck": a["bottleneck"], "model::decompression": a["decompression"],
        "model::projection_head_layers": a["projectionLayers"], "model::projection_head_hdim": a["projectionHidden"],
        "model::projection_head_odim": a["projectionOutput"], "model::projection_head_batchnorm": a["projectionBatchNorm"],
        "training::gamma": t["gamma"], "training::temperature": t["temperature"],
        "training::reduction": t["reduction"], "training::normalize_loss": t["normalizeLoss"],
        "trainset::batchsize": t["batchSize"], "optim::optimizer": optimizer["kind"], "optim::lr": optimizer["learningRate"],
        "optim::wd": optimizer["weightDecay"], "training::contrast": "simclr",
    }


def train_official(cfg, views, train_rows, val_rows, epochs, batch, seed):
    import torch
    from ghrp.model_definitions.def_simclr_ae_module import SimCLRAEModule
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    module = SimCLRAEModule(cfg)   # seeds torch and numpy with cfg["seed"]
    reference = torch.from_numpy(train_rows)
    if cfg["training::normalize_loss"]:
        module.set_normalization(reference, cfg["model::index_dict"])
    module.criterion.set_mean_loss(reference)
    mean_loss = module.criterion.loss_recon.loss_mean["loss_recon"].item()
    generator = np.random.default_rng(seed)
    val = torch.from_numpy(val_rows)
    curve = []
    for epoch in range(1, epochs + 1):
        _, v1, v2 = views[epoch - 1]
        order = generator.permutation(len(v1))
        steps = len(order) // batch
        module.model.train(); module.criterion.train()
        sums = {"loss": 0.0, "loss_contrast": 0.0, "loss_recon": 0.0}
        t0 = time.time()
        for s in range(steps):
            pick = order[s * batch:(s + 1) * batch]
            perf = module.train_step(torch.from_numpy(v1[pick]), torch.from_numpy(v2[pick]))
            for k in sums:
                sums[k] += float(perf[k].detach()) / steps
        module.model.eval(); module.criterion.eval()
        with torch.no_grad():
            _, recon = module.forward(val)
            val_rec = module.criterion.loss_recon(recon, val)["loss_recon"].item()
        curve.append({"epoch": epoch, "trainLoss": sums["loss"], "trainContrast": sums["loss_contrast"],
                      "trainReconstruction": sums["loss_recon"], "validationRSquared": 1 - val_rec / mean_loss,
                      "seconds": time.time() - t0})
        print(f"official seed {seed} epoch {epoch}/{epochs}: loss {sums['loss']:.5f} "
              f"(contrast {sums['loss_contrast']:.4f}, recon {sums['loss_recon']:.5f}) "
              f"val R2 {curve[-1]['validationRSquared']:.4f}  {curve[-1]['seconds']:.1f}s", flush=True)
    return curve


# ---------------------------------------------------------------------------------------------
# Comparison and plot

def spread(values):
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return {"mean": m, "sd": sd, "values": values}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zoo", required=True)
    ap.add_argument("--views", required=True, help="hz-augment's views .h5 that hz-train trained on (--views)")
    ap.add_argument("--zoo-epochs", required=True, help="checkpoint epochs of the training rows, e.g. 21-25")
    ap.add_argument("--hz", action="append", required=True, help="an AE file from hz-train (repeat for seeds)")
    ap.add_argument("--seeds", help="seeds of the official runs (default 1..number of --hz files)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if "GHRP_SRC" not in os.environ:
        fail("set GHRP_SRC to the src/ folder of a checkout of the paper's official repository")
    sys.path.insert(0, os.environ["GHRP_SRC"])
    os.makedirs(args.out, exist_ok=True)

    epochs_set = parse_epochs(args.zoo_epochs)
    train_rows, table, train_index = zoo_rows(args.zoo, "train", epochs_set)
    val_rows, _, _ = zoo_rows(args.zoo, "val", epochs_set)
    if len(train_rows) == 0 or len(val_rows) == 0:
        fail(f"{args.zoo}: no train or val checkpoints at epochs {args.zoo_epochs}")
    views = views_by_epoch(args.views, table)
    epoch_keys = sorted(views)
    # The views must be of exactly the training rows: check ids, and that a view without erasing
    # detokenises to a permutation-equivalent row (same sorted values) of its checkpoint.
    ids, v1, _ = views[epoch_keys[0]]
    if sorted(ids.tolist()) != sorted(train_index.tolist()):
        fail(f"{args.views}: its checkpoints are not the zoo's train-split checkpoints at epochs {args.zoo_epochs}")
    row_of = {int(c): i for i, c in enumerate(train_index)}
    checked = 0
    # With noise in the views no view equals its checkpoint, so only the ids are checked; the
    # detokenisation itself is the same code path, checked on noise-free views (--noise 0).
    augment_options = json.loads(text(h5py.File(args.views, "r").attrs["layout"])).get("augment", {}).get("options", {})
    noisy = float(augment_options.get("noise", 0) or 0) > 0 or float(augment_options.get("multiplicative_noise", 0) or 0) > 0
    if noisy:
        print(f"ghrp_parity: {args.views} has noise; checkpoint ids checked, values not (run once with --noise 0 to check them)")
    for k in ([] if noisy else range(len(ids))):
        original = train_rows[row_of[int(ids[k])]]
        if np.count_nonzero(v1[k] == 0) <= np.count_nonzero(original == 0):
            if not np.allclose(np.sort(v1[k]), np.sort(original), atol=1e-6):
                fail(f"{args.views}: view of checkpoint {ids[k]} does not detokenise to that checkpoint's values")
            checked += 1
    print(f"ghrp_parity: {len(train_rows)} training rows, {len(val_rows)} val rows, {len(epoch_keys)} epochs of views; "
          f"detokenisation checked on {checked} unerased views", flush=True)
    views_list = []
    for e in epoch_keys:
        ids, a, b = views[e]
        order = np.argsort(ids)
        views_list.append((ids[order], a[order], b[order]))

    hz_curves, runs = [], []
    for path in args.hz:
        architecture, options, curve = hz_run(path)
        hz_curves.append(curve)
        runs.append((architecture, options))
    architecture, options = runs[0]
    for other, path in zip(runs[1:], args.hz[1:]):
        strip = lambda o: {k: v for k, v in o.items() if k != "seed"}
        if other[0] != architecture or strip(other[1]) != strip(options):
            fail(f"{path}: trained with another configuration than {args.hz[0]} (only the seed may differ)")
    batch = options["batchSize"]
    epochs = min(len(c) for c in hz_curves)
    if epochs > len(views_list):
        fail(f"{args.views}: {len(views_list)} epochs of views, hz-train ran {epochs}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(range(1, len(args.hz) + 1))
    off_curves = []
    for seed in seeds:
        cfg = official_config(architecture, options, table, seed)
        off_curves.append(train_official(cfg, views_list, train_rows, val_rows, epochs, batch, seed))

    final = lambda curves, key: spread([c[epochs - 1].get(key) for c in curves])
    summary = {"epochs": epochs, "batch": batch, "training_rows": len(train_rows), "validation_rows": len(val_rows),
               "hz_train": {k: final(hz_curves, k) for k in ("trainLoss", "trainReconstruction", "trainContrast", "validationRSquared")},
               "official": {k: final(off_curves, k) for k in ("trainLoss", "trainReconstruction", "trainContrast", "validationRSquared")},
               "hz_curves": hz_curves, "official_curves": off_curves,
               "official_config": official_config(architecture, options, table, seeds[0])}
    verdicts = {}
    for key in ("trainLoss", "validationRSquared"):
        a, b = summary["hz_train"][key], summary["official"][key]
        if a and b:
            pooled = math.sqrt((a["sd"] ** 2 + b["sd"] ** 2) / 2) if len(a["values"]) > 1 and len(b["values"]) > 1 else None
            verdicts[key] = {"difference": a["mean"] - b["mean"], "pooled_seed_sd": pooled,
                             "within_spread": None if pooled is None else abs(a["mean"] - b["mean"]) <= 2 * pooled + 1e-12}
    summary["verdict"] = verdicts
    json.dump(summary, open(os.path.join(args.out, "parity.json"), "w"), indent=1)
    svg_curves([("hz-train", "#1f77b4", c) for c in hz_curves] + [("official PyTorch code", "#d62728", c) for c in off_curves],
               [("trainLoss", "train loss (running mean)"), ("validationRSquared", "validation R² (clean held-out rows)")],
               os.path.join(args.out, "parity.svg"))
    for key, v in verdicts.items():
        print(f"ghrp_parity: final {key}: hz-train {summary['hz_train'][key]['mean']:.4f} ± {summary['hz_train'][key]['sd']:.4f}, "
              f"official {summary['official'][key]['mean']:.4f} ± {summary['official'][key]['sd']:.4f}; "
              f"difference {v['difference']:+.4f} (within 2 pooled seed sd: {v['within_spread']})")
    print(f"ghrp_parity: wrote {args.out}/parity.json and {args.out}/parity.svg")


if __name__ == "__main__":
    main()
