# SPDX-License-Identifier: BSD-3-Clause
"""The literal blocks of README.md and doc/guides, and how each is tested.

Every literal block (a Markdown fence; an rst ``::`` block or
``code-block``) is preceded by a marker saying what it is:

rst ``.. test: KIND [ARG]`` (a comment), Markdown ``<!-- test: KIND [ARG] -->``

``emu NAME``
   commands that tests/test_doc_commands.py runs as written, on the
   emulated Xen, in its scenario NAME (which checks what the text says
   they do);
``by PATH``
   commands that the test or CI entry point PATH runs;
``xen``
   needs real Xen (an ``xl`` guest configuration, a command in a Xen
   domain); the tests/xen harness runs these setups;
``long``
   commands that run for minutes or longer (``make fuzz``), run by hand;
``text``
   not commands: program output, source code, a file layout.
"""

import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("emu", "by", "xen", "long", "text")

RST_MARKER = re.compile(r"^\s*\.\. test: (.*)$")
MD_MARKER = re.compile(r"^<!-- test: (.*) -->$")
RST_CODE = re.compile(r"^(\s*)\.\. (code-block|code|sourcecode)::")


class Block:
    def __init__(self, path, line, marker, text):
        self.path = os.path.relpath(path, REPO)
        self.line = line                # 1-based, first line of the text
        self.marker = marker            # the marker's words, None if none
        self.text = text

    @property
    def kind(self):
        return self.marker[0] if self.marker else None

    @property
    def arg(self):
        return " ".join(self.marker[1:]) if self.marker else None

    def commands(self):
        """Logical command lines, as a shell reads them: continuation lines
        joined (the backslash-newline kept), blank and comment lines out."""
        out, cur = [], ""
        for line in self.text.splitlines():
            cur += line
            if line.endswith("\\"):
                cur += "\n"
                continue
            if cur.strip() and not cur.lstrip().startswith("#"):
                out.append(cur.strip())
            cur = ""
        assert not cur, "%s: continuation at the end" % self
        return out

    def __repr__(self):
        return "%s:%d" % (self.path, self.line)


def _orphan(path, i, marker):
    if marker is not None:
        raise ValueError("%s:%d: marker %r is followed by no literal block"
                         % (os.path.relpath(path, REPO), i, " ".join(marker)))


def _dedent(lines):
    ind = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return "\n".join(l[ind:] for l in lines).strip("\n") + "\n"


def _rst_blocks(path):
    lines = open(path).read().split("\n")
    blocks, marker, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        m = RST_MARKER.match(line)
        if m:
            _orphan(path, i, marker)
            marker = m.group(1).split()
            i += 1
            continue
        code = RST_CODE.match(line)
        literal = (line.rstrip().endswith("::") and
                   not line.lstrip().startswith(".. "))
        if not (code or literal):
            i += 1
            continue
        j = i + 1
        if code:    # the directive's options
            while j < len(lines) and lines[j].strip().startswith(":"):
                j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        # The block ends at the first line indented less than its first.
        start = j
        indent = len(lines[j]) - len(lines[j].lstrip())
        while j < len(lines) and (
                not lines[j].strip() or
                len(lines[j]) - len(lines[j].lstrip()) >= indent):
            j += 1
        blocks.append(Block(path, start + 1, marker,
                            _dedent(lines[start:j])))
        marker = None
        i = j
    _orphan(path, i, marker)
    return blocks


def _md_blocks(path):
    lines = open(path).read().split("\n")
    blocks, marker, i = [], None, 0
    while i < len(lines):
        m = MD_MARKER.match(lines[i])
        if m:
            _orphan(path, i, marker)
            marker = m.group(1).split()
        elif lines[i].startswith("```"):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            blocks.append(Block(path, i + 2, marker,
                                "\n".join(lines[i + 1:j]) + "\n"))
            marker = None
            i = j
        i += 1
    _orphan(path, i, marker)
    return blocks


def documents():
    """README.md and every guide."""
    return [os.path.join(REPO, "README.md")] + sorted(
        glob.glob(os.path.join(REPO, "doc", "guides", "**", "*.rst"),
                  recursive=True))


def blocks():
    out = []
    for path in documents():
        out += _md_blocks(path) if path.endswith(".md") else \
            _rst_blocks(path)
    return out


def emu_blocks(name):
    """The blocks of scenario name, in document order."""
    return [b for b in blocks() if b.kind == "emu" and b.arg == name]
