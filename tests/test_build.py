# SPDX-License-Identifier: BSD-3-Clause
"""The shipped artefacts: plugin metadata, install layout, no RPATH."""

import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("XENNET_BUILD", os.path.join(REPO, "build"))
PLUGIN = os.path.join(BUILD, "drivers", "net", "xennet",
                      "librte_net_xennet.so")
PMDS_DIR = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0"


def test_pmdinfo_lists_driver_and_params():
    out = subprocess.run(
        ["/usr/bin/python3",
         os.path.join(BUILD, "dpdk-sdk", "scripts", "dpdk-pmdinfo.py"),
         PLUGIN], check=True, capture_output=True, text=True).stdout
    drivers = {d["name"]: d for d in json.loads(out)}
    params = drivers["net_xennet"]["params"].split()
    assert [p.split("=")[0] for p in params] == [
        "role", "domain", "domid", "devid", "mac", "max_queues", "hotplug",
        "match"]


def test_plugin_has_no_rpath():
    # A DT_RPATH would beat LD_LIBRARY_PATH and silently bypass xenemu.
    out = subprocess.run(["readelf", "-d", PLUGIN], check=True,
                         capture_output=True, text=True).stdout
    assert "(RPATH)" not in out


def test_install_layout(tmp_path):
    subprocess.run(["meson", "install", "-C", BUILD, "--quiet",
                    "--destdir", str(tmp_path)], check=True,
                   capture_output=True)
    files = {os.path.relpath(os.path.join(d, f), tmp_path)
             for d, _, fs in os.walk(tmp_path) for f in fs}
    # DPDK's own plugin directory: every DPDK app loads it without -d.
    assert os.path.relpath(PMDS_DIR, "/") + "/librte_net_xennet.so" in files
    # xl runs vif = ['...,script=vif-xennet'] from here
    assert "etc/xen/scripts/vif-xennet" in files
    xenemu = [f for f in files if f.endswith("bin/xenemu")]
    assert len(xenemu) == 1
    text = open(os.path.join(tmp_path, xenemu[0])).read()
    libdir = text.split('INSTALLED_LIBDIR = "', 1)[1].split('"', 1)[0]
    for helper in ("xenemu-xenstored", "xenemu-acct", "libxengnttab.so.1",
                   "libxenevtchn.so.1"):
        assert os.path.relpath(libdir, "/") + "/" + helper in files
