"""load_archive on archives built here exactly as hz-archive lays them out (manifest.json first,
then files in path order; one safetensors per model), and on altered ones: every broken rule is
one FormatError naming the archive and the entry, and nothing is left behind by extract_to."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import unittest
import zipfile
from unittest import mock

import numpy as np

from helpers import TempDirTestCase

import hyperzoo
from hyperzoo import FormatError
from hyperzoo import archive as archive_module


def safetensors_bytes(tensors, metadata):
    """A safetensors file (header padded to 8 bytes, tensors in the given order)."""
    names = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("<i8"): "I64"}
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, value in tensors.items():
        data = np.ascontiguousarray(value).tobytes()
        header[name] = {"dtype": names[value.dtype], "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def model_files(count=2, seed=0):
    rng = np.random.default_rng(seed)
    models = {}
    for k in range(count):
        sd = {"module_list.0.weight": rng.standard_normal((3, 5)).astype(np.float32),
              "module_list.0.bias": rng.standard_normal(3).astype(np.float32)}
        models[f"sample-{k:06d}"] = sd
    return models


def contents(models, extra=None):
    """{entry: bytes} and the manifest hz-archive would write for them."""
    files = {f"models/{mid}.safetensors": safetensors_bytes(sd, {"format": "pt", "model": mid, "epoch": "0"}) for mid, sd in models.items()}
    files["pop.h5"] = b"\x89HDF\r\n\x1a\n" + bytes(100)
    files.update(extra or {})
    manifest = {"format": "hyperzoo.archive", "format_version": 1, "created_by": "hyperzoo 0.1.0",
                "files": [{"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for p, b in sorted(files.items())],
                "models": [{"id": mid, "file": f"models/{mid}.safetensors", "source": f"pop.h5#row={k}", "epoch": 0}
                           for k, mid in enumerate(sorted(models))]}
    return files, manifest


def write_tar(path, entries, mode="w"):
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)


def entries_of(files, manifest):
    return [("manifest.json", json.dumps(manifest, sort_keys=True).encode())] + sorted(files.items())


class ArchiveTests(TempDirTestCase):
    def build(self, fmt, files=None, manifest=None, entries=None, models=None):
        models = models or model_files()
        if files is None:
            files, manifest = contents(models)
        entries = entries if entries is not None else entries_of(files, manifest)
        path = self.path(f"a.{fmt}")
        if fmt == "zip":
            write_zip(path, entries)
        elif fmt == "tar.gz":
            write_tar(path, entries, "w:gz")
        elif fmt == "tar":
            write_tar(path, entries)
        else:
            write_tar(self.path("a.tar"), entries)
            subprocess.run(["zstd", "-q", "-f", self.path("a.tar"), "-o", path], check=True)
        return path, models

    def assertRefused(self, path, pattern, **kwargs):
        with self.assertRaises(FormatError) as caught:
            hyperzoo.load_archive(path, **kwargs)
        self.assertRegex(str(caught.exception), pattern)
        self.assertIn(path, str(caught.exception))

    def formats(self):
        return ["tar", "tar.gz", "zip"] + (["tar.zst"] if shutil.which("zstd") else [])

    def test_every_format_loads_the_models(self):
        for fmt in self.formats():
            with self.subTest(fmt=fmt):
                path, models = self.build(fmt)
                archive = hyperzoo.load_archive(path)
                self.assertEqual(archive.format, fmt)
                self.assertEqual([m.id for m in archive.models], sorted(models))
                for m in archive.models:
                    self.assertEqual(list(m.state_dict), list(models[m.id]))
                    for name, value in models[m.id].items():
                        np.testing.assert_array_equal(m.state_dict[name], value)
                    self.assertEqual((m.epoch, m.metadata["model"]), (0, m.id))
                self.assertEqual(len(archive.files), 3)

    @unittest.skipUnless(shutil.which("zstd"), "no zstd command")
    def test_zstd_through_the_command_when_the_module_is_missing(self):
        path, models = self.build("tar.zst")
        with mock.patch.dict(sys.modules, {"zstandard": None}):
            archive = hyperzoo.load_archive(path)
        self.assertEqual(len(archive.models), len(models))
        with mock.patch.dict(sys.modules, {"zstandard": None}), mock.patch.object(archive_module.shutil, "which", return_value=None):
            self.assertRefused(path, "neither the Python module 'zstandard'.*nor the 'zstd' command")

    def test_altered_entries_are_refused(self):
        models = model_files()
        files, manifest = contents(models)
        for fmt in ("tar", "zip"):
            with self.subTest(fmt=fmt):
                # One flipped byte in a model file.
                bad = dict(files)
                name = "models/sample-000001.safetensors"
                bad[name] = bad[name][:-1] + bytes([bad[name][-1] ^ 1])
                path, _ = self.build(fmt, entries=entries_of(bad, manifest))
                self.assertRefused(path, r"models/sample-000001\.safetensors: SHA-256 differs from the manifest")
                # A file the manifest does not list.
                path, _ = self.build(fmt, entries=entries_of(dict(files, **{"zz.txt": b"x"}), manifest))
                self.assertRefused(path, r"zz\.txt: in the archive but not listed in the manifest")
                # A listed file that is missing.
                path, _ = self.build(fmt, entries=entries_of({k: v for k, v in files.items() if k != "pop.h5"}, manifest))
                self.assertRefused(path, r"pop\.h5: listed in the manifest but missing from the archive")
                # Another size than listed.
                path, _ = self.build(fmt, entries=entries_of(dict(files, **{"pop.h5": files["pop.h5"] + b"!"}), manifest))
                self.assertRefused(path, r"pop\.h5: size 109, the manifest says 108")
                # No manifest first.
                path, _ = self.build(fmt, entries=sorted(files.items()) + entries_of({}, manifest)[:1])
                self.assertRefused(path, r"the first entry is not manifest\.json")

    def test_manifest_schema(self):
        files, manifest = contents(model_files())
        cases = [
            (dict(manifest, format="zip"), "format is 'zip'"),
            (dict(manifest, format_version=2), "format_version 2 is newer"),
            (dict(manifest, extra=1), r"unknown member\(s\) \['extra'\]"),
            (dict(manifest, files=[dict(manifest["files"][0], path="../x")] + manifest["files"][1:]), "must be relative, without '..'"),
            (dict(manifest, files=[dict(manifest["files"][0], sha256="00")] + manifest["files"][1:]), "64 lowercase hex"),
            (dict(manifest, models=[{"id": "x", "file": "models/none.safetensors"}]), "is not listed in files"),
            ({k: v for k, v in manifest.items() if k != "created_by"}, "missing 'created_by'"),
        ]
        for bad, pattern in cases:
            with self.subTest(pattern=pattern):
                path, _ = self.build("tar", entries=entries_of(files, bad))
                self.assertRefused(path, rf"manifest\.json: .*{pattern}")
        path, _ = self.build("tar", entries=[("manifest.json", b"{not json")] + sorted(files.items()))
        self.assertRefused(path, r"manifest\.json: not valid JSON")

    def test_foreign_truncated_and_non_regular(self):
        with open(self.path("x.bin"), "wb") as f:
            f.write(b"hello" * 200)
        self.assertRefused(self.path("x.bin"), "not a tar.zst, tar.gz, zip or tar archive")
        path, _ = self.build("tar.gz")
        with open(path, "rb") as f:
            data = f.read()
        with open(self.path("cut.tar.gz"), "wb") as f:
            f.write(data[:len(data) // 2])
        self.assertRefused(self.path("cut.tar.gz"), "corrupt or truncated|truncated")
        files, manifest = contents(model_files())
        with tarfile.open(self.path("link.tar"), "w") as tar:
            for name, data in entries_of(files, manifest)[:1]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            link = tarfile.TarInfo("models/sample-000000.safetensors")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
        self.assertRefused(self.path("link.tar"), r"models/sample-000000\.safetensors: not a regular file")
        # The repository's hostile archives are refused too.
        hostile = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "archives", "hostile")
        for name in sorted(os.listdir(hostile)) if os.path.isdir(hostile) else []:
            with self.subTest(hostile=name):
                with self.assertRaises(FormatError):
                    hyperzoo.load_archive(os.path.join(hostile, name))

    def test_data_after_the_listed_entries_is_bounded(self):
        # A tar whose last entry claims to be far bigger than anything listed is refused by size first.
        files, manifest = contents(model_files())
        path, _ = self.build("tar", entries=entries_of(dict(files, **{"pop.h5": bytes(1 << 20)}), manifest))
        self.assertRefused(path, r"pop\.h5: size 1048576, the manifest says 108")
        self.assertRefused(self.build("tar")[0], "max_bytes", max_bytes=10)

    def test_extract_to_writes_everything_or_nothing(self):
        path, models = self.build("zip")
        target = self.path("out")
        archive = hyperzoo.load_archive(path, extract_to=target)
        self.assertEqual(archive.folder, target)
        self.assertEqual(sorted(os.listdir(os.path.join(target, "models"))), [f"{m}.safetensors" for m in sorted(models)])
        tensors, _ = hyperzoo.load_safetensors(os.path.join(target, "models", "sample-000000.safetensors"))
        np.testing.assert_array_equal(tensors["module_list.0.bias"], models["sample-000000"]["module_list.0.bias"])
        with self.assertRaisesRegex(FormatError, f"^{target}: already exists; extract into a new folder$"):
            hyperzoo.load_archive(path, extract_to=target)
        files, manifest = contents(models)
        bad = dict(files, **{"pop.h5": b"\x00" * len(files["pop.h5"])})
        path, _ = self.build("tar", entries=entries_of(bad, manifest))
        self.assertRefused(path, "SHA-256 differs", extract_to=self.path("out2"))
        self.assertFalse(os.path.exists(self.path("out2")) or os.path.exists(self.path("out2.partial")))


class SafetensorsTests(TempDirTestCase):
    FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "torch")

    def test_reads_the_file_written_for_the_torch_fixtures(self):
        with open(os.path.join(self.FIXTURE, "expected.json")) as f:
            expected = json.load(f)["load"]["sample.safetensors"]["tensors"]
        tensors, metadata = hyperzoo.load_safetensors(os.path.join(self.FIXTURE, "sample.safetensors"))
        self.assertEqual(metadata, {"format": "pt"})
        self.assertEqual(sorted(tensors), sorted(t["name"] for t in expected))
        for t in expected:
            value = tensors[t["name"]]
            self.assertEqual((str(value.dtype), list(value.shape)), (t["dtype"], t["shape"]))
            np.testing.assert_array_equal(value.reshape(-1).astype(np.float64), np.array(t["values"]))

    def test_rules_of_the_format(self):
        good = safetensors_bytes({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, {})
        header_length = int.from_bytes(good[:8], "little")
        header = json.loads(good[8:8 + header_length])

        def with_header(h, tail=None):
            text = json.dumps(h).encode()
            return len(text).to_bytes(8, "little") + text + (good[8 + header_length:] if tail is None else tail)
        cases = [
            (good[:4], "too short"),
            ((10**9).to_bytes(8, "little") + good[8:], "header length 1000000000 is outside"),
            (with_header(dict(header, w=dict(header["w"], dtype="F8_E5M2"))), "dtype 'F8_E5M2'"),
            (with_header(dict(header, w=dict(header["w"], shape=[2, 2]))), "data_offsets span 24 bytes, shape \\[2, 2\\] of F32 needs 16"),
            (with_header(header, tail=good[8 + header_length:] + b"xx"), "2 bytes after the last tensor"),
            (with_header(header, tail=good[8 + header_length:-4]), "past the 20-byte buffer"),
            (with_header(dict(header, v=dict(header["w"], data_offsets=[0, 24]))), "expected 24 \\(tensors must be contiguous"),
        ]
        for data, pattern in cases:
            with self.subTest(pattern=pattern):
                with self.assertRaisesRegex(FormatError, pattern):
                    hyperzoo.safetensors.load_bytes(data, "x.safetensors")


if __name__ == "__main__":
    unittest.main()
