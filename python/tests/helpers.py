"""Shared test helpers: temporary folders, the repository's tools, optional modules."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))  # the package under test, without installing it
sys.path.insert(0, HERE)

HAS_TORCH = importlib.util.find_spec("torch") is not None
requires_torch = unittest.skipUnless(HAS_TORCH, "torch is not installed")


class TempDirTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hyperzoo-py-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)


def zoo_to_numpy_json(path, rows=None):
    """tools/zoo_to_numpy.py --json on `path`, decoded (the reference reader of the layout doc)."""
    args = [sys.executable, os.path.join(REPO, "tools", "zoo_to_numpy.py"), path, "--json"]
    if rows is not None:
        args += ["--rows", ",".join(str(r) for r in rows)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    import json
    return json.loads(out)


def binary(name):
    """The path of a hyperzoo executable (HYPERZOO_BIN, else .build/debug), or None."""
    for folder in (os.environ.get("HYPERZOO_BIN"), os.path.join(REPO, ".build", "debug")):
        if folder and os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    return None
