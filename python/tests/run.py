"""Runs the package's tests with unittest (no pytest needed; `pytest python/tests` works too) and
ends with one summary line, `python: N passed, N failed, N skipped`, exit status 1 on any failure."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=1).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
for test, reason in result.skipped:
    print(f"skipped {test.id()}: {reason}")
print(f"python: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or result.testsRun == 0 else 0)
