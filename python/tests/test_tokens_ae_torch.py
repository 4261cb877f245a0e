"""Neuron tokens worked out by hand, AE checkpoints laid out per schemas/ae-checkpoint.md, and the
torch side (state_dicts loading into real modules, Dataset and DataLoader) when torch is installed."""
import json
import unittest

import h5py
import numpy as np

from helpers import TempDirTestCase, requires_torch
import layout_writer as lw

import hyperzoo
from hyperzoo import FormatError


class TokenTests(TempDirTestCase):
    def test_conv_and_linear_tokens_by_hand(self):
        table = hyperzoo.ParameterTable.from_json(lw.conv_table(), "t", "")
        layout = hyperzoo.NeuronTokenLayout(table)
        row = np.arange(47, dtype=np.float32)
        tokens = layout.tokenize(row)
        # conv: 2 kernels of 9 weights + bias (width 10); linear: 3 neurons of 8 weights + bias (width 9).
        self.assertEqual((layout.token_count, layout.token_width), (5, 10))
        np.testing.assert_array_equal(tokens[0], np.r_[np.arange(0, 9), 18])
        np.testing.assert_array_equal(tokens[1], np.r_[np.arange(9, 18), 19])
        np.testing.assert_array_equal(tokens[2], np.r_[np.arange(20, 28), 44, 0])
        np.testing.assert_array_equal(tokens[4], np.r_[np.arange(36, 44), 46, 0])
        self.assertEqual(layout.widths.tolist(), [10, 10, 9, 9, 9])
        self.assertEqual(layout.mask[2].tolist(), [True] * 9 + [False])
        self.assertEqual(layout.positions.tolist(), [[0, 0, 0], [1, 0, 1], [2, 1, 0], [3, 1, 1], [4, 1, 2]])
        np.testing.assert_array_equal(layout.detokenize(tokens), row)
        batch = np.stack([row, -row])
        np.testing.assert_array_equal(layout.detokenize(layout.tokenize(batch)), batch)

    def test_a_table_that_is_not_neuron_rows_is_refused(self):
        entries = lw.mlp_table(2, [], 2)
        entries[1]["layer"] = 3  # a bias of a layer that does not exist
        table = hyperzoo.ParameterTable.from_json(entries, "t", "")
        with self.assertRaisesRegex(FormatError, "cannot be read as neuron tokens"):
            hyperzoo.NeuronTokenLayout(table, "zoo.h5", "/architectures/x")


def write_ae(path, table, training=True):
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "hyperzoo.ae"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["config"] = lw.compact({"table": {"entries": table}, "modelWidth": 4, "heads": 1, "blocks": 1,
                                        "feedForwardWidth": 4, "latentSize": 2, "dropout": 0.1})
        f.attrs["source"] = "hz-train zoo.h5"
        f["parameters/encoder.comp_token"] = np.ones((1, 1, 4), dtype=np.float32)
        f["parameters/projection_head.layers.0.weight"] = np.ones((3, 2), dtype=np.float32)
        f["buffers/projection_head.layers.1.running_mean"] = np.zeros(3, dtype=np.float32)
        if training:
            t = f.create_group("training")
            t.attrs["epoch"] = np.int64(3)
            t.attrs["optimizer_steps"] = np.int64(30)
            t.attrs["options"] = lw.compact({"epochs": 3})
            t.attrs["diagnostics"] = lw.compact({"validationRSquared": 0.5, "warnings": []})
            t.create_dataset("history", data=[json.dumps([{"epoch": 1}, {"epoch": 2}, {"epoch": 3}])], dtype=lw.STRING)


class AutoencoderTests(TempDirTestCase):
    def test_config_training_and_state_dict(self):
        path = self.path("ae.h5")
        write_ae(path, lw.mlp_table(5, [3], 2))
        with hyperzoo.open_autoencoder(path) as ae:
            self.assertEqual(ae.table.parameter_count, 26)
            self.assertEqual((ae.config["latentSize"], ae.source), (2, "hz-train zoo.h5"))
            self.assertEqual((ae.training["epoch"], ae.training["optimizer_steps"], len(ae.training["history"])), (3, 30, 3))
            self.assertEqual(ae.training["diagnostics"]["validationRSquared"], 0.5)
            self.assertEqual(ae.parameter_shapes["encoder.comp_token"], (1, 1, 4))
            self.assertEqual(sorted(ae.state_dict()), ["encoder.comp_token", "projection_head.layers.0.weight", "projection_head.layers.1.running_mean"])
            self.assertEqual(list(ae.state_dict(projection_head=False)), ["encoder.comp_token"])

    def test_refusals(self):
        path = self.path("ae.h5")
        write_ae(path, lw.mlp_table(5, [3], 2))
        with self.assertRaisesRegex(FormatError, r"format is 'hyperzoo\.ae', expected hyperzoo\.zoo or hyperzoo\.population \(an autoencoder checkpoint: use hyperzoo\.open_autoencoder\)"):
            hyperzoo.open_zoo(path)
        with h5py.File(path, "r+") as f:
            del f["parameters/encoder.comp_token"]
            f["parameters/encoder.comp_token"] = np.ones(3)
        with self.assertRaisesRegex(FormatError, r"ae\.h5:/parameters/encoder\.comp_token: expected a float32 dataset, found float64"):
            hyperzoo.open_autoencoder(path)
        zoo = self.path("zoo.h5")
        lw.small_zoo(zoo)
        with self.assertRaisesRegex(FormatError, "format is 'hyperzoo.zoo', expected hyperzoo.ae"):
            hyperzoo.open_autoencoder(zoo)


@requires_torch
class TorchTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        import torch
        self.torch = torch
        self.zoo_path = self.path("zoo.h5")
        self.groups, _ = lw.small_zoo(self.zoo_path, groups=2)

    def net(self, hidden_index):
        torch = self.torch
        layers = [torch.nn.Linear(5, 3), torch.nn.Tanh()] + ([torch.nn.Dropout(0.5)] if hidden_index == 3 else []) + [torch.nn.Linear(3, 2)]
        module = torch.nn.Module()
        module.module_list = torch.nn.ModuleList(layers)
        return module

    def test_state_dicts_load_into_modules_of_either_layout(self):
        torch = self.torch
        with hyperzoo.open_zoo(self.zoo_path) as zoo:
            for k in (0, 7):
                sd = zoo.state_dict(k, framework="torch")
                self.assertTrue(all(isinstance(v, torch.Tensor) and v.dtype == torch.float32 for v in sd.values()))
                net = self.net(2 if zoo[k].architecture == "mlp" else 3)
                net.load_state_dict(sd, strict=True)
                np.testing.assert_array_equal(zoo.table_of(k).flatten(net.state_dict()), zoo.row(k))

    def test_dataset_rows_tokens_targets_and_workers(self):
        torch = self.torch
        with hyperzoo.open_zoo(self.zoo_path) as zoo:
            train = zoo.select(split="train")
            rows = train.rows()
            data = train.as_torch_dataset()
            self.assertEqual(len(data), 6)
            self.assertTrue(torch.equal(data[4], torch.from_numpy(rows[4])))
            tokens = train.as_torch_dataset(tokens=True, target="test_acc")
            x, y = tokens[1]
            self.assertEqual(tuple(x["tokens"].shape), (train.token_layout.token_count, train.token_layout.token_width))
            np.testing.assert_array_equal(train.token_layout.detokenize(x["tokens"].numpy()), rows[1])
            self.assertAlmostEqual(float(y), float(train.metric("test_acc")[1]), places=6)
            loader = torch.utils.data.DataLoader(data, batch_size=4, num_workers=2)
            batches = list(loader)
            self.assertTrue(torch.equal(torch.cat(batches), torch.from_numpy(rows)))
            token_loader = torch.utils.data.DataLoader(tokens, batch_size=3)
            (first, targets), _ = list(token_loader)
            self.assertEqual(tuple(first["mask"].shape), (3, train.token_layout.token_count, train.token_layout.token_width))
            with self.assertRaises(ValueError):
                train.as_torch_dataset(target="accuracy")


if __name__ == "__main__":
    unittest.main()
