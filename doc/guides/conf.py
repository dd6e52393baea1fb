# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of the xennet guides (make docs)."""

import re
from os.path import dirname, join

project = "xennet"
author = "The xennet authors"
copyright = "2026, " + author
# The version is meson's: project(..., version: ...) in the top meson.build.
with open(join(dirname(__file__), "..", "..", "meson.build")) as f:
    release = version = re.search(r"version:\s*'([^']+)'", f.read()).group(1)

master_doc = "index"
source_suffix = ".rst"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_show_sourcelink = False
# Commands are shown as they are typed; no highlighting guesswork.
highlight_language = "none"

# Man pages of the commands the package installs (sphinx-build -b man).
man_pages = [
    ("tools/xenemu", "xenemu",
     "emulated Xen for developing and testing split network drivers",
     [author], 1),
    ("sample_app_ug/xennet_l2fwd", "xennet-l2fwd",
     "forward frames between pairs of DPDK ports", [author], 1),
    ("sample_app_ug/xennet_vswitch", "xennet-vswitch",
     "a learning Ethernet switch for the guests of a Xen driver domain",
     [author], 1),
]
