"""docs/testing.md's recipes cannot rot: every ```python block of it is a complete test file, and
all of them run here, with the plugin and the official SDK, in one pytest session of their own."""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import DOCS

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
TEST = re.compile(r"^def (test_\w+)\(", re.M)


def blocks():
    return BLOCK.findall(DOCS.read_text(encoding="utf-8"))


def block_id(code):
    found = TEST.findall(code)
    return found[0] if found else "no-test"


def test_the_docs_have_at_least_five_recipes_each_a_test():
    found = blocks()
    assert len(found) >= 5
    for code in found:
        assert TEST.search(code), "a python block of docs/testing.md has no test:\n" + code


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, ocs_command):
    """Runs every block as its own test file; {file: [(test, outcome, message)]}."""
    root = tmp_path_factory.mktemp("recipes")
    for i, code in enumerate(blocks()):
        (root / "test_doc_{:02d}.py".format(i)).write_text(code, encoding="utf-8")
    report = root / "report.xml"
    args = [sys.executable, "-m", "pytest", str(root), "-p", "no:cacheprovider", "-q", "--junitxml=" + str(report), "--compshare-ocs=" + ocs_command[-1]]
    run = subprocess.run(args, cwd=str(root), capture_output=True, text=True, timeout=900)
    print(run.stdout[-20000:], run.stderr[-5000:])
    assert report.exists(), "pytest wrote no report:\n" + run.stdout[-5000:] + run.stderr[-5000:]
    results = {}
    for case in ET.parse(str(report)).getroot().iter("testcase"):
        bad = [c for c in case if c.tag in ("failure", "error", "skipped")]
        outcome = bad[0].tag if bad else "passed"
        text = (bad[0].get("message") or "") + "\n" + (bad[0].text or "")[-3000:] if bad else ""
        results.setdefault(case.get("classname").split(".")[-1], []).append((case.get("name"), outcome, text))
    return results


@pytest.mark.parametrize("index", range(len(blocks())), ids=[block_id(c) for c in blocks()])
def test_the_recipe_passes(outcomes, index):
    ran = outcomes.get("test_doc_{:02d}".format(index), [])
    expected = TEST.findall(blocks()[index])
    assert sorted(name for name, _, _ in ran) == sorted(expected), "the block's tests did not all run: {}".format(ran)
    failed = ["{}: {}\n{}".format(name, outcome, text) for name, outcome, text in ran if outcome != "passed"]
    assert not failed, "\n\n".join(failed)
