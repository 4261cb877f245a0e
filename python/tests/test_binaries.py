"""The package against files written by hyperzoo's own executables: a two-layout zoo from hz-zoo
(format_version 2), an AE from hz-train, a population from hz-sample, archives from hz-archive in
all three compressed formats, and neuron tokens from hz-tokenize.

Skipped when the executables are not built, unless HYPERZOO_REQUIRE_BINARIES=1 (tools/test sets
it after building), which turns their absence into a failure."""
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

from helpers import binary, zoo_to_numpy_json

import hyperzoo

HYPERZOO = binary("hyperzoo")
REQUIRED = os.environ.get("HYPERZOO_REQUIRE_BINARIES") == "1"

GRID = """{"name": "tiny-hyp", "architecture": {"family": "mlp", "hidden": [2], "activation": "tanh"},
 "dataset": {"name": "synthetic", "synthetic_counts": [200, 40, 40]},
 "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
 "batch_size": 10, "epochs": 2, "seeds": {"start": 1, "count": 2}, "grid": {"dropout": [0, 0.5]}}"""


@unittest.skipUnless(HYPERZOO or REQUIRED, "hyperzoo executables not built (swift build), set HYPERZOO_BIN")
class FilesWrittenByHyperzooTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if HYPERZOO is None:
            raise AssertionError("HYPERZOO_REQUIRE_BINARIES=1 but no hyperzoo executable in HYPERZOO_BIN or .build/debug")
        cls.dir = tempfile.mkdtemp(prefix="hyperzoo-py-bin-")
        d = cls.path
        with open(d("grid.json"), "w") as f:
            f.write(GRID)
        cls.run_stage(["zoo", d("grid.json"), "-o", d("zoo.h5"), "--threads", "1"])
        cls.run_stage(["train", d("zoo.h5"), "-o", d("ae.h5"), "--width", "8", "--heads", "2", "--blocks", "1", "--ff-width", "8",
                       "--latent", "4", "--epochs", "2", "--batch-size", "2", "--seed", "1"])
        cls.run_stage(["sample", d("ae.h5"), d("zoo.h5"), "--count", "3", "--seed", "5", "-o", d("pop.h5")])
        for fmt in ("tar.zst", "tar.gz", "zip"):
            cls.run_stage(["archive", "create", "-o", d(f"pop.{fmt}"), "--population", d("pop.h5")])
        cls.run_stage(["tokenize", d("zoo.h5"), "-o", d("tokens.h5")])

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    @classmethod
    def run_stage(cls, args):
        done = subprocess.run([HYPERZOO] + args, capture_output=True, text=True, cwd=cls.dir)
        if done.returncode != 0:
            raise AssertionError(f"hyperzoo {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    def test_two_layout_zoo_matches_zoo_to_numpy(self):
        reference = zoo_to_numpy_json(self.path("zoo.h5"))
        with hyperzoo.open_zoo(self.path("zoo.h5")) as zoo:
            self.assertEqual(zoo.format_version, 2)
            self.assertEqual(zoo.architectures, reference["architectures"])
            self.assertEqual(len(zoo.architectures), 2)
            self.assertEqual(len(zoo), reference["checkpoints"])
            self.assertEqual(len(zoo.models), 4)
            names = set()
            for k, expected in enumerate(reference["checkpoints_read"]):
                c = zoo[k]
                self.assertEqual((c.model_id, c.epoch, c.split, c.architecture),
                                 (expected["model"], expected["epoch"], expected["split"], expected["architecture"]))
                for metric, value in expected["metrics"].items():
                    self.assertTrue(np.isnan(c.metrics[metric]) if value is None else np.float32(c.metrics[metric]) == np.float32(value))
                sd = zoo.state_dict(k)
                self.assertEqual(list(sd), list(expected["state_dict"]))
                names.add(tuple(sd))
                for name, tensor in expected["state_dict"].items():
                    np.testing.assert_array_equal(sd[name], np.array(tensor["values"], dtype=np.float32).reshape(tensor["shape"]))
            self.assertEqual(len(names), 2, "the dropout layout has its own state_dict names")
            # hz-zoo's hyper-parameters say which layout a model has.
            for c in zoo:
                dropout = c.model.hyperparameters["model::dropout"]
                self.assertEqual(c.architecture.endswith("_dropout"), dropout > 0)
            trained = zoo.select(epoch=2, metric_at_least={"test_acc": 0.0})
            self.assertEqual(sorted(trained.model_ids), sorted(m.id for m in zoo.models))

    def test_neuron_tokens_equal_hz_tokenize(self):
        with h5py.File(self.path("tokens.h5"), "r") as f, hyperzoo.open_zoo(self.path("zoo.h5")) as zoo:
            layout = zoo.token_layout
            np.testing.assert_array_equal(f["mask"][()] > 0, layout.mask)
            np.testing.assert_array_equal(f["positions"][()], layout.positions)
            tokens = f["tokens"]
            self.assertEqual(tokens.shape[1:], (layout.token_count, layout.token_width))
            for k, row in enumerate(f["index/checkpoint"][()]):
                ours, mask = zoo.tokens(int(row))
                np.testing.assert_array_equal(ours, tokens[k])
                np.testing.assert_array_equal(layout.detokenize(tokens[k]), zoo.row(int(row)))

    def test_population_from_hz_sample(self):
        with hyperzoo.open_population(self.path("pop.h5")) as pop, hyperzoo.open_zoo(self.path("zoo.h5")) as zoo:
            self.assertEqual(len(pop), 3)
            self.assertEqual(pop.sampler["sampler"], "kde")
            self.assertEqual(pop.seed, 5)
            self.assertEqual(pop.anchors["count"], len(pop.anchors["rows"]))
            self.assertTrue(all(0 <= r < len(zoo) for r in pop.anchors["rows"]))
            self.assertEqual(pop.splits, ["test"] * 3)
            # Written with the zoo's first layout's names.
            self.assertEqual(pop.parameter_table, zoo.parameter_table)
            self.assertEqual(pop.rows().shape, (3, zoo.parameter_count))
            self.assertTrue(np.isfinite(pop.rows()).all())

    def test_archives_from_hz_archive_hold_the_population(self):
        with hyperzoo.open_population(self.path("pop.h5")) as pop:
            expected = {pop[k].model_id: pop.state_dict(k) for k in range(len(pop))}
            for fmt in ("tar.zst", "tar.gz", "zip"):
                archive = hyperzoo.load_archive(self.path(f"pop.{fmt}"))
                self.assertEqual(archive.format, fmt)
                self.assertEqual(sorted(m.id for m in archive.models), sorted(expected))
                for m in archive.models:
                    self.assertEqual(list(m.state_dict), list(expected[m.id]))
                    for name, value in expected[m.id].items():
                        np.testing.assert_array_equal(m.state_dict[name], value)
                    self.assertEqual(m.epoch, 0)
            folder = os.path.join(self.dir, "extracted")
            archive = hyperzoo.load_archive(self.path("pop.tar.zst"), extract_to=folder)
            with hyperzoo.open_population(os.path.join(folder, "pop.h5")) as copy:
                np.testing.assert_array_equal(copy.rows(), pop.rows())
            self.assertFalse(os.path.exists(folder + ".partial"))

    def test_autoencoder_from_hz_train(self):
        with hyperzoo.open_autoencoder(self.path("ae.h5")) as ae, hyperzoo.open_zoo(self.path("zoo.h5")) as zoo:
            self.assertEqual(ae.table.shapes and [e.shape for e in ae.table], [e.shape for e in zoo.parameter_table])
            self.assertEqual((ae.config["modelWidth"], ae.config["latentSize"], ae.config["blocks"]), (8, 4, 1))
            self.assertEqual(ae.training["epoch"], 2)
            self.assertEqual(len(ae.training["history"]), 2)
            self.assertIn("encoder.comp_token", ae.parameter_shapes)
            sd = ae.state_dict(projection_head=False)
            self.assertFalse(any(k.startswith("projection_head.") for k in sd))
            self.assertEqual(sd["encoder.comp_token"].shape, (1, 1, 8))


if __name__ == "__main__":
    unittest.main()
