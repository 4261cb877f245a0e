"""open_zoo / open_population on files written by the tests' own layout writer: metadata, selection,
rows, state_dicts (checked against tools/zoo_to_numpy.py), and one clear FormatError per broken rule."""
import json
import math
import os
import unittest

import h5py
import numpy as np

from helpers import TempDirTestCase, zoo_to_numpy_json
import layout_writer as lw

import hyperzoo
from hyperzoo import FormatError


class ZooReadingTests(TempDirTestCase):
    def test_single_architecture_zoo_metadata_rows_and_state_dicts(self):
        path = self.path("zoo.h5")
        groups, models = lw.small_zoo(path)
        with hyperzoo.open_zoo(path) as zoo:
            self.assertEqual((len(zoo), zoo.format, zoo.format_version), (12, "hyperzoo.zoo", 1))
            self.assertEqual(zoo.architectures, ["mlp"])
            self.assertEqual(zoo.parameter_count, 26)
            self.assertEqual(zoo.parameter_table.names, [e["name"] for e in groups[0]["table"]])
            self.assertEqual(zoo.config, {"name": "test"})
            np.testing.assert_array_equal(zoo.rows(), groups[0]["weights"])
            c = zoo[4]
            self.assertEqual((c.row, c.model_id, c.epoch, c.split, c.architecture), (4, "m1", 1, "train", "mlp"))
            self.assertAlmostEqual(c.metrics["test_acc"], 0.45, places=6)
            self.assertTrue(math.isnan(c.metrics["val_loss"]))
            self.assertEqual(zoo[-1].model_id, "m3")
            model = zoo.models[2]
            self.assertEqual((model.id, model.seed, model.dataset, model.split), ("m2", 3, "synthetic", "val"))
            self.assertEqual(model.hyperparameters, {"lr": 0.003})
            self.assertEqual(model.provenance, {"generator": "test"})
            self.assertEqual([c.row for c in zoo], list(range(12)))
            with self.assertRaises(IndexError):
                zoo[12]

    def test_state_dict_of_every_row_equals_zoo_to_numpy(self):
        for groups_count in (1, 2):
            path = self.path(f"zoo{groups_count}.h5")
            lw.small_zoo(path, seed=groups_count, groups=groups_count)
            reference = zoo_to_numpy_json(path)["checkpoints_read"]
            with hyperzoo.open_zoo(path) as zoo:
                self.assertEqual(len(zoo), len(reference))
                for k, expected in enumerate(reference):
                    c = zoo[k]
                    self.assertEqual((c.row, c.model_id, c.epoch, c.split, c.architecture),
                                     (expected["row"], expected["model"], expected["epoch"], expected["split"], expected["architecture"]))
                    sd = zoo.state_dict(k)
                    self.assertEqual(list(sd), list(expected["state_dict"]))
                    for name, tensor in expected["state_dict"].items():
                        self.assertEqual(list(sd[name].shape), tensor["shape"])
                        np.testing.assert_array_equal(sd[name].reshape(-1), np.array(tensor["values"], dtype=np.float32))
                        self.assertEqual(sd[name].dtype, np.float32)

    def test_several_architectures_give_each_row_its_own_names(self):
        path = self.path("zoo.h5")
        groups, _ = lw.small_zoo(path, groups=2)
        with hyperzoo.open_zoo(path) as zoo:
            self.assertEqual((zoo.format_version, zoo.architectures), (2, ["mlp", "mlp_dropout"]))
            self.assertEqual(zoo.model_ids, ["m0"] * 3 + ["m2"] * 3 + ["m1"] * 3 + ["m3"] * 3)
            self.assertEqual(list(zoo.state_dict(0)), ["module_list.0.weight", "module_list.0.bias", "module_list.2.weight", "module_list.2.bias"])
            self.assertEqual(list(zoo.state_dict(6)), ["module_list.0.weight", "module_list.0.bias", "module_list.3.weight", "module_list.3.bias"])
            np.testing.assert_array_equal(zoo.rows(), np.concatenate([groups[0]["weights"], groups[1]["weights"]]))
            # A selection spanning both groups reads each row from its own group.
            picked = zoo.select(epoch=2)
            self.assertEqual(picked.row_numbers.tolist(), [2, 5, 8, 11])
            np.testing.assert_array_equal(picked.rows(), np.stack([groups[0]["weights"][2], groups[0]["weights"][5],
                                                                   groups[1]["weights"][2], groups[1]["weights"][5]]))
            self.assertEqual(len(zoo.select(architecture="mlp_dropout")), 6)
            self.assertEqual(zoo.parameter_tables["mlp_dropout"].names[2], "module_list.3.weight")

    def test_select_by_split_epoch_model_and_metric(self):
        path = self.path("zoo.h5")
        lw.small_zoo(path)
        with hyperzoo.open_zoo(path) as zoo:
            self.assertEqual(zoo.select(split="train").model_ids, ["m0"] * 3 + ["m1"] * 3)
            self.assertEqual(zoo.select(split=["val", "test"], epoch=0).model_ids, ["m2", "m3"])
            self.assertEqual(zoo.select(epoch=range(1, 3)).epochs.tolist(), [1, 2] * 4)
            self.assertEqual(zoo.select(model="m3").row_numbers.tolist(), [9, 10, 11])
            # test_acc = 0.3 + 0.1 m + 0.05 e: ≥ 0.6 keeps m2 e2 (0.6), m3 e0..2.
            best = zoo.select(metric_at_least={"test_acc": 0.6})
            self.assertEqual(best.row_numbers.tolist(), [8, 9, 10, 11])
            self.assertEqual(zoo.select(metric_at_most={"test_loss": 0.36}).row_numbers.tolist(), [10, 11])
            # NaN (unknown) never passes a bound.
            self.assertEqual(len(zoo.select(metric_at_least={"val_acc": -1.0})), 0)
            # Views compose and index from 0.
            view = zoo.select(split="train").select(epoch=2)
            self.assertEqual((len(view), view[0].row, view[1].row), (2, 2, 5))
            np.testing.assert_array_equal(view.row(1), zoo.row(5))
            self.assertEqual(zoo[3:5].row_numbers.tolist(), [3, 4])
            with self.assertRaises(ValueError):
                zoo.select(split="training")
            with self.assertRaises(ValueError):
                zoo.select(metric_at_least={"accuracy": 0.5})

    def test_rows_refuses_more_than_max_bytes_and_batches_cover_the_view(self):
        path = self.path("zoo.h5")
        groups, _ = lw.small_zoo(path)
        with hyperzoo.open_zoo(path) as zoo:
            with self.assertRaisesRegex(ValueError, "max_bytes"):
                zoo.rows(max_bytes=100)
            seen = [(pos.tolist(), batch) for pos, batch in zoo.batches(5)]
            self.assertEqual([p for p, _ in seen], [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]])
            np.testing.assert_array_equal(np.concatenate([b for _, b in seen]), groups[0]["weights"])

    def test_compressed_weights_read_the_same(self):
        path = self.path("zoo.h5")
        groups, _ = lw.small_zoo(path, compression="gzip")
        with hyperzoo.open_zoo(path) as zoo:
            np.testing.assert_array_equal(zoo.rows(), groups[0]["weights"])

    def test_table_flatten_inverts_state_dict(self):
        path = self.path("zoo.h5")
        lw.small_zoo(path)
        with hyperzoo.open_zoo(path) as zoo:
            np.testing.assert_array_equal(zoo.parameter_table.flatten(zoo.state_dict(3)), zoo.row(3))


class PopulationTests(TempDirTestCase):
    def write_population(self, path):
        table = lw.mlp_table(5, [3], 2)
        rng = np.random.default_rng(3)
        weights = rng.standard_normal((3, 26)).astype(np.float32)
        models = [{"id": f"sample-{k:06d}", "dataset": "synthetic", "split": "test", "provenance": {"population": "S_KDE30", "index": k}}
                  for k in range(3)]
        root = {"sampler": {"sampler": "kde", "population": "S_KDE30", "bandwidth": "0.1"},
                "anchors": {"zoo": "zoo.h5", "rows": [1, 4], "count": 2, "fraction": 0.3}, "seed": 7,
                "provenance": {"ae": "ae.h5"}}
        lw.write_zoo(path, [{"name": "mlp", "table": table, "weights": weights, "model": [0, 1, 2], "epoch": [0, 0, 0]}],
                     models, fmt="hyperzoo.population", root_json=root)
        return weights

    def test_population_attributes_and_rows(self):
        path = self.path("pop.h5")
        weights = self.write_population(path)
        with hyperzoo.open_population(path) as pop:
            self.assertIsInstance(pop, hyperzoo.Population)
            self.assertEqual(pop.sampler["sampler"], "kde")
            self.assertEqual(pop.anchors["rows"], [1, 4])
            self.assertEqual((pop.seed, pop.provenance, pop.latent_projection), (7, {"ae": "ae.h5"}, None))
            self.assertEqual(pop.model_ids, ["sample-000000", "sample-000001", "sample-000002"])
            np.testing.assert_array_equal(pop.rows(), weights)
            self.assertIsInstance(pop.select(epoch=0), hyperzoo.Population)
            self.assertEqual(pop.attribute("seed"), 7)
        with hyperzoo.open_zoo(path) as same:
            self.assertIsInstance(same, hyperzoo.Population)

    def test_open_population_refuses_a_zoo(self):
        path = self.path("zoo.h5")
        lw.small_zoo(path)
        with self.assertRaisesRegex(FormatError, r"zoo\.h5:/: format is 'hyperzoo\.zoo', expected hyperzoo\.population \(a zoo: use hyperzoo\.open_zoo\)"):
            hyperzoo.open_population(path)


class BrokenFileTests(TempDirTestCase):
    """Each rule of the layout, broken once: one FormatError naming file and object."""

    def broken(self, change, **zoo):
        path = self.path("zoo.h5")
        lw.small_zoo(path, **zoo)
        with h5py.File(path, "r+") as f:
            change(f)
        return path

    def assertRefused(self, path, pattern):
        with self.assertRaises(FormatError) as caught:
            hyperzoo.open_zoo(path)
        message = str(caught.exception)
        self.assertIn(path, message)
        self.assertRegex(message, pattern)
        self.assertNotIn("\n", message)

    def test_not_a_file_not_hdf5_and_foreign_files(self):
        self.assertRefused(self.path("missing.h5"), "no such file")
        with open(self.path("text.h5"), "w") as f:
            f.write("not hdf5 at all\n" * 10)
        self.assertRefused(self.path("text.h5"), "not an HDF5 file")
        os.mkfifo(self.path("fifo.h5"))
        self.assertRefused(self.path("fifo.h5"), "not a regular file")
        with h5py.File(self.path("plain.h5"), "w") as f:
            f["x"] = [1]
        self.assertRefused(self.path("plain.h5"), r":/: not a hyperzoo file: no root attribute 'format'")
        path = self.path("zoo.h5")
        lw.small_zoo(path)
        with open(path, "rb") as f:
            data = f.read()
        with open(self.path("truncated.h5"), "wb") as f:
            f.write(data[:len(data) // 2])
        self.assertRefused(self.path("truncated.h5"), "corrupt or truncated|declares .* bytes")

    def test_format_and_version(self):
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("format", "other.thing")), "unknown format 'other.thing'")
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("format_version", np.int64(3))), "format_version 3 is newer")
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("format_version", "1")), "'format_version': expected an integer")
        # Two groups in a version-1 file would be misread by a version-1 reader.
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("format_version", np.int64(1)), groups=2),
                           "2 architectures in a format_version 1 file")
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("architectures", '["mlp", "mlp"]'), groups=2), "distinct")
        self.assertRefused(self.broken(lambda f: f.attrs.__setitem__("architectures", '["mlp", "gone"]'), groups=2),
                           r":/architectures/gone: missing group")

    def test_weights_type_shape_and_storage(self):
        def float64(f):
            del f["architectures/mlp/weights"]
            f["architectures/mlp/weights"] = np.zeros((12, 26))
        self.assertRefused(self.broken(float64), r":/architectures/mlp/weights: expected float32, found float64")

        def short(f):
            del f["architectures/mlp/weights"]
            f["architectures/mlp/weights"] = np.zeros((12, 25), dtype=np.float32)
        self.assertRefused(self.broken(short), r"weights: expected shape \[rows, 26\], found \[12, 25\]")

        def sparse(f):
            # Declares a billion rows that were never written: refused before anything is read.
            for name in ["weights", "model", "epoch"] + list(lw.METRICS):
                d = f[f"architectures/mlp/{name}"]
                d.resize((10**9,) + d.shape[1:])
            f["architectures/mlp"].attrs["checkpoint_count"] = np.int64(10**9)
        self.assertRefused(self.broken(sparse), r"weights: declares \d+ bytes but the file stores")
        self.assertRefused(self.broken(lambda f: f["architectures/mlp"].attrs.__setitem__("checkpoint_count", np.int64(5))),
                           "'checkpoint_count' is 5 but weights has 12 rows: the file was not finished")

    def test_columns_and_table(self):
        def missing_epoch(f):
            del f["architectures/mlp/epoch"]
        self.assertRefused(self.broken(missing_epoch), r":/architectures/mlp/epoch: missing object required by the layout")

        def short_metric(f):
            del f["architectures/mlp/test_acc"]
            f["architectures/mlp/test_acc"] = np.zeros(11, dtype=np.float32)
        self.assertRefused(self.broken(short_metric), r"/architectures/mlp/test_acc: expected 12 entries, found 11")

        def gap(f):
            table = json.loads(f["architectures/mlp"].attrs["parameter_table"])
            table[1]["offset"] += 1
            f["architectures/mlp"].attrs["parameter_table"] = json.dumps(table)
        self.assertRefused(self.broken(gap), r"/architectures/mlp: parameter_table entry 1: 'module_list.0.bias': offset 16, expected 15")
        self.assertRefused(self.broken(lambda f: f["architectures/mlp"].attrs.__setitem__("parameter_table", "[{")),
                           "attribute 'parameter_table' is not valid JSON")
        self.assertRefused(self.broken(lambda f: f["architectures/mlp"].attrs.__setitem__("parameter_count", np.int64(27))),
                           "'parameter_count' is 27, the parameter table sums to 26")

        def renamed(f):
            del f["architectures/mlp/parameter_names"]
            f["architectures/mlp"].create_dataset("parameter_names", data=["a", "b", "c", "d"], dtype=lw.STRING)
        self.assertRefused(self.broken(renamed), r"parameter_names: .* differ from the parameter_table's names")

    def test_groups_must_share_structure_and_models(self):
        def other_shape(f):
            table = lw.mlp_table(5, [3], 2, indices=[0, 3])
            table[2]["shape"] = [3, 2]  # same size, other shape
            f["architectures/mlp_dropout"].attrs["parameter_table"] = lw.compact(table)
        self.assertRefused(self.broken(other_shape, groups=2),
                           r"/architectures/mlp_dropout: parameter structure differs from /architectures/mlp: tensor 2 \('module_list.3.weight'\) has shape \[3, 2\], expected \[2, 3\]")

        def shared_model(f):
            f["architectures/mlp_dropout/model"][0] = 0
        self.assertRefused(self.broken(shared_model, groups=2), "model 'm0' also has rows in /architectures/mlp; expected each model in one architecture")

        def out_of_range(f):
            f["architectures/mlp/model"][0] = 9
        self.assertRefused(self.broken(out_of_range), r"/architectures/mlp/model: model index 9 outside the 4 models")

    def test_models_table(self):
        def bad_split(f):
            f["models/split"][1] = "training"
        self.assertRefused(self.broken(bad_split), r"/models/split: entry 1: 'training' is not train, val or test")

        def duplicate(f):
            f["models/id"][1] = "m0"
        self.assertRefused(self.broken(duplicate), r"/models/id: model id 'm0' appears twice")
        self.assertRefused(self.broken(lambda f: f["models"].attrs.__setitem__("model_count", np.int64(3))), "'model_count' is 3")

        def bad_json(f):
            f["models/hyperparameters"][0] = "{not json"
        path = self.broken(bad_json)
        with hyperzoo.open_zoo(path) as zoo:
            with self.assertRaisesRegex(FormatError, r"/models/hyperparameters: entry 0 is not valid JSON"):
                zoo.models[0].hyperparameters


if __name__ == "__main__":
    unittest.main()
