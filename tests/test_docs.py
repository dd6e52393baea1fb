# SPDX-License-Identifier: BSD-3-Clause
"""make docs: every guide builds to HTML without a single Sphinx warning;
the man pages the package ships build too."""

import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUIDES = os.path.join(REPO, "doc", "guides")


def test_guides_build_without_warnings(tmp_path):
    # The command of make docs, into a fresh directory (-E: no cached
    # environment hides a warning of an unchanged file).
    run = subprocess.run(
        ["sphinx-build", "-b", "html", "-W", "--keep-going", "-n", "-q",
         "-E", "-d", str(tmp_path / "doctrees"), GUIDES,
         str(tmp_path / "html")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stderr, run.stderr
    # Every guide is a page of the build (Sphinx reads only .rst; a
    # document outside every toctree is a warning, hence a failure above).
    sources = {os.path.relpath(os.path.join(d, f), GUIDES)[:-len(".rst")]
               for d, _, fs in os.walk(GUIDES) for f in fs
               if f.endswith(".rst")}
    assert {"index", "nics/xennet", "tools/xenemu"} <= sources
    for doc in sources:
        assert (tmp_path / "html" / (doc + ".html")).is_file(), doc
    others = [os.path.join(d, f) for d, _, fs in os.walk(GUIDES) for f in fs
              if not f.endswith((".rst", ".py", ".ini"))]
    assert not others, "guides Sphinx would not build: %s" % others


def test_man_pages_build_without_warnings(tmp_path):
    # As debian/rules builds them.
    run = subprocess.run(
        ["sphinx-build", "-b", "man", "-W", "-n", "-q", "-E", "-d",
         str(tmp_path / "doctrees"), GUIDES, str(tmp_path / "man")],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for page in ("xenemu.1", "xennet-l2fwd.1"):
        text = (tmp_path / "man" / page).read_text()
        assert ".SH NAME" in text, page
