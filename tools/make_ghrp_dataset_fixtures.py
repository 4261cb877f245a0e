#!/usr/bin/env python3
"""Writes fixtures/ghrp/datasets: two small `dataset.pt` files in the format of GHRP's published
hyper-representation datasets, made by the official code's own classes, and what hyperzoo must
read from them (expected.json).

The official code is not part of hyperzoo: GHRP_SRC points at the `src/` folder of a checkout of
HSG-AIML/NeurIPS_2022-Generative_Hyper_Representations. A tiny Ray Tune-style zoo (trial folders
with checkpoint_<e>/checkpoints and result.json) is written to a temporary folder, then
`ghrp.checkpoints_to_datasets.dataset_simclr.SimCLRDataset` loads it exactly as the GHRP
notebooks do and `torch.save({"trainset", "valset", "testset"}, "dataset.pt")` pickles the
objects (what `torch.load` of the published files needs the ghrp package for).

  vector.pt      mode "vector" (data_in are flat weight tensors, checkpoint_base the first
                 state_dict), use_bias, 3 splits [0.5, 0.25, 0.25], 2 random permutations of
                 layer 0 precomputed (permutations_dct, permutation_index_list), properties
                 test_acc, training_iteration, ggap and config key lr
  checkpoint.pt  mode "vectorize" (data_in are the state_dicts), weights only (use_bias False),
                 2 splits [0.75, 0.25], no permutations, no properties
  refused-erase-augment.pt  vector.pt with trainset.set_erase(...): a RandomErasingVector
                 (torch.nn.Module) object, which the allow-list does not hold
  refused-short-epochs.pt   checkpoint.pt with testset.epochs one entry short

expected.json holds, per file and split, each sample's model folder name, epoch, the weights
as `__get_weights__()` returns them (mode vector; for state_dicts the official
`vectorize_checkpoint`, which is what it stands for) and its properties.

Two shims, neither touching what is pickled: torch 2 removed torch._six, which ModelDatasetBase
still names for `string_classes`; and Ray, which the loader uses only to read checkpoints in
parallel, is replaced by an in-process stand-in (a Ray cluster takes minutes to start on a small
shared machine, or times out), so every remote call runs at once in this process.

Usage: GHRP_SRC=/path/to/ghrp/src /work/.venv-peers/bin/python tools/make_ghrp_dataset_fixtures.py [OUT]
(torch)
"""
import asyncio, copy, inspect, json, os, random, sys, tempfile, types
from pathlib import Path

if "GHRP_SRC" not in os.environ:
    sys.exit("set GHRP_SRC to the src/ folder of a checkout of the official GHRP repository")
sys.path.insert(0, os.environ["GHRP_SRC"])



def in_process_ray():
    """A `ray` module whose remote functions and actors run synchronously in this process."""
    ray = types.ModuleType("ray")

    class Call:
        def __init__(self, function):
            self.function = function

        def remote(self, *args, **kwargs):
            return self.function(*args, **kwargs)

    class Actor:
        def __init__(self, instance):
            self._instance = instance

        def __getattr__(self, name):
            return Call(getattr(self._instance, name))

    def remote(*args, **kwargs):
        def wrap(target):
            if inspect.isclass(target):
                return Call(lambda *a, **k: Actor(target(*a, **k)))
            return Call(target)
        return wrap(args[0]) if args and callable(args[0]) and not kwargs else wrap

    def get(value):
        if isinstance(value, list):
            return [get(v) for v in value]
        return asyncio.run(value) if inspect.iscoroutine(value) else value

    ray.remote, ray.get = remote, get
    ray.init = lambda *a, **k: None
    ray.shutdown = lambda *a, **k: None
    ray.actor = types.ModuleType("ray.actor")
    ray.actor.ActorHandle = Actor
    sys.modules["ray"], sys.modules["ray.actor"] = ray, ray.actor


in_process_ray()

import torch  # noqa: E402

if not hasattr(torch, "_six"):
    torch._six = types.SimpleNamespace(string_classes=(str, bytes))

from ghrp.checkpoints_to_datasets.dataset_simclr import SimCLRDataset  # noqa: E402
from ghrp.checkpoints_to_datasets.dataset_auxiliaries import vectorize_checkpoint  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "fixtures" / "ghrp" / "datasets")
out.mkdir(parents=True, exist_ok=True)

# A tiny module_list network: conv2d at 0 (2 kernels, 1 channel, 3x3), fc at 3 (3 x 8).
LAYERS = [(0, "conv2d"), (3, "fc")]
EPOCHS = [1, 2]


def write_zoo(root: Path, models: int):
    generator = torch.Generator().manual_seed(7)
    for m in range(models):
        trial = root / f"NN_tune_trainable_a1b2c_{m:05d}_{m}_seed={m + 1}_2021-09-25_11-43-5{m}"
        trial.mkdir()
        results = []
        for e in range(0, max(EPOCHS) + 1):
            state = torch.nn.Module().state_dict()  # an OrderedDict with _metadata, like model.state_dict()
            state["module_list.0.weight"] = torch.randn(2, 1, 3, 3, generator=generator)
            state["module_list.0.bias"] = torch.randn(2, generator=generator)
            state["module_list.3.weight"] = torch.randn(3, 8, generator=generator)
            state["module_list.3.bias"] = torch.randn(3, generator=generator)
            (trial / f"checkpoint_{e}").mkdir()
            torch.save(state, trial / f"checkpoint_{e}" / "checkpoints")
            if e > 0:  # Ray writes result lines from training_iteration 1
                test_acc = round(0.1 + 0.05 * m + 0.1 * e, 4)
                results.append({"training_iteration": e, "test_acc": test_acc, "train_acc": round(test_acc + 0.02 * e, 4),
                                "config": {"lr": 1e-3 * (m + 1), "seed": m + 1}})
        (trial / "result.json").write_text("".join(json.dumps(r) + "\n" for r in results))
        (trial / "params.json").write_text(json.dumps(results[0]["config"]))


def build(root: Path, splits, **kwargs):
    sets = {}
    names = ["trainset", "valset", "testset"] if len(splits) == 3 else ["trainset", "testset"]
    for name in names:
        random.seed(0)
        sets[name] = SimCLRDataset(root=[root], layer_lst=LAYERS, epoch_lst=EPOCHS, ds_split=splits,
                                   train_val_test=name[:-3], num_threads=1, **kwargs)
    return sets


def describe(sets):
    result = {}
    for name, dataset in sets.items():
        copy_ = copy.deepcopy(dataset)
        if copy_.mode == "vector":
            weights = copy_.__get_weights__()
        else:  # __get_weights__ fails on state_dicts in SimCLRDataset; what it means is this:
            weights = [vectorize_checkpoint(c, copy_.layer_lst, copy_.use_bias) for c in copy_.data_in]
        samples = []
        for i in range(len(copy_)):
            samples.append({
                "model": Path(copy_.paths[i]).name,
                "epoch": int(copy_.epochs[i]),
                "weights": [float(v) for v in weights[i].tolist()],
                "properties": {k: v[i] for k, v in (copy_.properties or {}).items()},
            })
        result[name] = samples
    return result


with tempfile.TemporaryDirectory() as tmp:
    root = Path(tmp) / "zoo"
    root.mkdir()
    write_zoo(root, 4)
    expected = {}
    vector = build(root, [0.5, 0.25, 0.25], mode="vector", use_bias=True, permutations_number=2,
                   permute_layers=[0], permutation_mode="random",
                   property_keys={"result_keys": ["test_acc", "training_iteration", "ggap"], "config_keys": ["lr"]})
    torch.save(vector, out / "vector.pt")
    expected["vector.pt"] = {"use_bias": True, "layers": LAYERS, "splits": describe(vector)}
    checkpoint = build(root, [0.75, 0.25], mode="vectorize", use_bias=False, permutations_number=0)
    torch.save(checkpoint, out / "checkpoint.pt")
    expected["checkpoint.pt"] = {"use_bias": False, "layers": LAYERS, "splits": describe(checkpoint)}

    # Files hyperzoo must refuse, each with one line naming the problem:
    # an erase augmentation set on the object (a torch.nn.Module subclass, outside the allow-list)
    erased = copy.deepcopy(vector)
    erased["trainset"].set_erase({"p": 0.5, "scale": (0.02, 0.33), "value": 0, "mode": "block"})
    torch.save(erased, out / "refused-erase-augment.pt")
    # a set whose epochs list is shorter than its data_in
    short = copy.deepcopy(checkpoint)
    short["testset"].epochs = short["testset"].epochs[:-1]
    torch.save(short, out / "refused-short-epochs.pt")

(out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
print(f"wrote {out}: " + ", ".join(f"{f} {(out / f).stat().st_size} bytes" for f in ["vector.pt", "checkpoint.pt", "expected.json"]))
