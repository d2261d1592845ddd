#!/usr/bin/env python3
"""Generate each addon's README.rst from its ``readme/*.md`` fragments, in OCA's layout.

Usage::

    scripts/gen_readme.py [--check] [ADDON_DIR ...]

Without addon directories, every ``calendar_sync_*`` directory with a ``__manifest__.py``
next to this repository's root is processed. ``--check`` writes nothing and exits 1 when a
README.rst is missing or differs from what its fragments generate (CI and a pytest test use it
so that the README can never drift from its fragments).

Fragments (``<addon>/readme/``), in README order:

=================  ==========================  =========
fragment           README section              required
=================  ==========================  =========
DESCRIPTION.md     (top, no title)             yes
INSTALL.md         Installation                no
CONFIGURE.md       Configuration               no
USAGE.md           Usage                       no
ROADMAP.md         Known issues / Roadmap      no
HISTORY.md         Changelog                   no
CONTRIBUTORS.md    Credits > Contributors      no
CREDITS.md         Credits > Other credits     no
=================  ==========================  =========

The fragments use a small Markdown subset, converted here to reStructuredText with the
standard library only: ``#`` headings (they become sub-sections of their README section),
paragraphs, ``-``/``*``/``1.`` lists (nested by indentation), fenced code blocks (with an
optional language), inline code, ``**bold**``, ``*italic*`` and ``[text](url)`` links.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (fragment, section title); DESCRIPTION has no title, the Credits fragments are handled apart.
SECTIONS = [
    ("INSTALL.md", "Installation"),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("HISTORY.md", "Changelog"),
]
FRAGMENTS = [
    "DESCRIPTION.md",
    *(name for name, _title in SECTIONS),
    "CONTRIBUTORS.md",
    "CREDITS.md",
]

# Underline characters: README title (over+under), sections, then fragment headings #, ##, ###.
SECTION_CHAR = "="
SUBSECTION_CHARS = ["~", "-", "^"]

MATURITY_BADGE = {
    "Alpha": "red",
    "Beta": "yellow",
    "Production/Stable": "green",
    "Mature": "brightgreen",
}
LICENSE_URL = {
    "LGPL-3": "http://www.gnu.org/licenses/lgpl-3.0-standalone.html",
    "AGPL-3": "http://www.gnu.org/licenses/agpl-3.0-standalone.html",
    "GPL-3": "http://www.gnu.org/licenses/gpl-3.0-standalone.html",
}
DEV_STATUS_URL = "https://odoo-community.org/page/development-status"
DEV_STATUS_WARNING = {
    "Alpha": (
        "This is an alpha version, the data model and design can change at any time without "
        "warning.\n   Only for development or testing purpose, do not use in production."
    ),
    "Beta": "This is a beta version: it may still change before it is declared stable.",
}


# --------------------------------------------------------------------------- markdown -> rst

_FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>[^`]+?)(?P=code)"  # `code` (any number of backticks)
    r"|\[(?P<link_text>[^\]]+)\]\((?P<url>[^)\s]+)\)"  # [text](url)
    r"|\*\*(?P<bold>[^*]+?)\*\*"  # **bold**
    r"|(?<![\w*])\*(?P<italic>[^*\s][^*]*?)\*(?![\w*])"  # *italic*
    r"|(?<!\w)_(?P<italic2>[^_\s][^_]*?)_(?!\w)"  # _italic_
)
# reST inline markup must be delimited by whitespace or punctuation: escape otherwise.
_RST_OPEN_OK = set(" \t\n'\"([{<-/:") | {""}
_RST_CLOSE_OK = set(" \t\n'\")]}>-/:.,;!?\\") | {""}
_RST_SPECIAL = re.compile(r"(\*|`|\|)")


def _escape_text(text):
    """Escape characters that would start reST inline markup in plain text."""
    text = text.replace("\\", "\\\\")
    text = _RST_SPECIAL.sub(r"\\\1", text)
    # "word_" is a reference in reST; "word_ " or "word_." too.
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)


def inline(text):
    """Convert Markdown inline markup of one line of text to reST."""
    out = []
    pos = 0
    for match in _INLINE.finditer(text):
        out.append(_escape_text(text[pos : match.start()]))
        if match.group("code"):
            rst = f"``{match.group('code_text').strip()}``"
        elif match.group("url"):
            label = match.group("link_text").replace("`", "").replace("<", "\\<")
            rst = f"`{label} <{match.group('url')}>`__"
        elif match.group("bold"):
            rst = f"**{match.group('bold')}**"
        else:
            rst = f"*{match.group('italic') or match.group('italic2')}*"
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if before not in _RST_OPEN_OK:
            rst = "\\ " + rst
        if after not in _RST_CLOSE_OK:
            rst += "\\ "
        out.append(rst)
        pos = match.end()
    out.append(_escape_text(text[pos:]))
    return "".join(out)


class _Converter:
    """Line-based Markdown subset -> reST.

    Text lines are gathered into blocks (one paragraph, or the text of one list item) and the
    inline markup is converted per block, so that ``**bold**`` or a link may span lines. List
    nesting is tracked to indent items, their continuation lines and nested code blocks.
    """

    def __init__(self):
        self.out = []
        # Open list items: (markdown indent of the marker, reST indent of the item's text).
        self.items = []
        # The block being gathered: (first line prefix, following lines' indent, [text lines]).
        self.block = None

    # ---- output helpers

    def flush(self):
        if self.block is None:
            return
        first_prefix, indent, texts = self.block
        self.block = None
        converted = inline("\n".join(texts)).split("\n")
        self.out.append(first_prefix + converted[0])
        self.out.extend(" " * indent + text for text in converted[1:])

    def blank(self):
        self.flush()
        if self.out and self.out[-1] != "":
            self.out.append("")

    def content_indent(self):
        return self.items[-1][1] if self.items else 0

    def close_lists_deeper_than(self, md_indent):
        closed = False
        while self.items and self.items[-1][0] > md_indent:
            self.items.pop()
            closed = True
        if closed:
            self.blank()

    # ---- block elements

    def item(self, md_indent, marker, text):
        """A list item: siblings replace each other, a deeper marker opens a sub-list."""
        self.flush()
        self.close_lists_deeper_than(md_indent)
        if self.items and self.items[-1][0] == md_indent:
            self.items.pop()
        elif self.out and self.out[-1] != "":
            self.blank()  # a list, or a sub-list, starts after a blank line
        base = self.content_indent()
        rst_marker = "-" if marker in "-*+" else f"{marker[:-1]}."
        self.items.append((md_indent, base + len(rst_marker) + 1))
        self.block = (" " * base + f"{rst_marker} ", base + len(rst_marker) + 1, [text.strip()])

    def text(self, line):
        if self.block is None:
            indent = self.content_indent()
            self.block = (" " * indent, indent, [])
        self.block[2].append(line.strip())

    def heading(self, title, level):
        self.close_lists_deeper_than(-1)
        self.blank()
        title = inline(title)
        char = SUBSECTION_CHARS[min(level, len(SUBSECTION_CHARS)) - 1]
        self.out.extend([title, char * len(title), ""])

    def code_block(self, lines, start, fence):
        """Emit a fenced block as ``.. code-block::`` (or ``::`` without a language)."""
        fence_indent, marker, language = len(fence.group(1)), fence.group(2), fence.group(3)
        if fence_indent == 0:
            self.close_lists_deeper_than(-1)
        self.blank()
        base = self.content_indent()
        self.out.append(" " * base + (f".. code-block:: {language}" if language else "::"))
        self.out.append("")
        i = start + 1
        while i < len(lines) and not lines[i].strip().startswith(marker):
            code = lines[i]
            # Remove the fence's own indentation (a block inside a list item), keep the rest.
            code = code[min(fence_indent, len(code) - len(code.lstrip())) :]
            self.out.append((" " * (base + 4) + code).rstrip())
            i += 1
        self.blank()
        return i

    # ---- driver

    def convert(self, markdown):
        lines = markdown.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i].rstrip()
            indent = len(line) - len(line.lstrip())
            fence = _FENCE.match(line)
            heading = _HEADING.match(line)
            item = _ITEM.match(line)
            if not line.strip():
                self.blank()
                # A blank line ends the lists unless what follows is indented or an item.
                following = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
                if not _ITEM.match(following) and not following[:1].isspace():
                    self.close_lists_deeper_than(-1)
            elif fence:
                i = self.code_block(lines, i, fence)
            elif heading:
                self.heading(heading.group(2), len(heading.group(1)))
            elif item:
                self.item(len(item.group(1)), item.group(2), item.group(3))
            else:
                if self.block is None and self.items and indent == 0:
                    self.close_lists_deeper_than(-1)  # an unindented paragraph ends the list
                self.text(line)
            i += 1
        self.close_lists_deeper_than(-1)
        self.blank()
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n"


def md_to_rst(markdown):
    return _Converter().convert(markdown)


# --------------------------------------------------------------------------- README layout


def read_manifest(addon_dir):
    manifest = addon_dir / "__manifest__.py"
    return ast.literal_eval(manifest.read_text(encoding="utf-8"))


def read_fragments(addon_dir):
    readme_dir = addon_dir / "readme"
    fragments = {}
    for name in FRAGMENTS:
        path = readme_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                fragments[name] = text + "\n"
    return fragments


def _source_digest(manifest, fragments):
    digest = hashlib.sha256()
    for key in ("name", "license", "development_status", "author", "website", "version"):
        digest.update(f"{key}={manifest.get(key)!r}\n".encode())
    for name in sorted(fragments):
        digest.update(f"--{name}--\n{fragments[name]}".encode())
    return digest.hexdigest()


def _badges(manifest):
    badges = []
    status = manifest.get("development_status")
    if status:
        color = MATURITY_BADGE.get(status, "lightgray")
        badges.append(
            (
                f"https://img.shields.io/badge/maturity-{status.replace('/', '%2F')}-{color}.png",
                DEV_STATUS_URL,
                status,
            )
        )
    license_ = manifest.get("license")
    if license_:
        badges.append(
            (
                f"https://img.shields.io/badge/license-{license_.replace('-', '--')}-blue.png",
                LICENSE_URL.get(license_, "https://spdx.org/licenses/"),
                f"License: {license_}",
            )
        )
    website = manifest.get("website", "")
    github = re.match(r"https://github\.com/([^/]+)/([^/]+)/?$", website)
    if github:
        repo = f"{github.group(1)}/{github.group(2)}"
        badges.append(
            (
                f"https://img.shields.io/badge/github-{repo.replace('/', '%2F').replace('-', '--')}"
                "-lightgray.png?logo=github",
                website,
                repo,
            )
        )
    lines = []
    for number, (image, target, alt) in enumerate(badges, start=1):
        lines += [
            f".. |badge{number}| image:: {image}",
            f"    :target: {target}",
            f"    :alt: {alt}",
        ]
    lines += ["", " ".join(f"|badge{number}|" for number in range(1, len(badges) + 1)), ""]
    return lines


def _section(title, body=None):
    lines = [title, SECTION_CHAR * len(title), ""]
    if body is not None:
        lines += [body.rstrip("\n"), ""]
    return lines


def _subsection(title, body):
    return [title, SUBSECTION_CHARS[0] * len(title), "", body.rstrip("\n"), ""]


def _shift_headings(rst, levels):
    """Push the fragment's own headings ``levels`` down (used inside Credits sub-sections)."""
    chars = SUBSECTION_CHARS
    lines = rst.splitlines()
    for index in range(1, len(lines)):
        line, title = lines[index], lines[index - 1]
        underline = line and len(set(line)) == 1 and line[0] in chars
        if underline and title and len(line) == len(title):
            level = min(chars.index(line[0]) + levels, len(chars) - 1)
            lines[index] = chars[level] * len(title)
    return "\n".join(lines) + "\n"


def render_readme(addon_dir):
    """The README.rst text for ``addon_dir``."""
    addon_dir = pathlib.Path(addon_dir)
    manifest = read_manifest(addon_dir)
    fragments = read_fragments(addon_dir)
    if "DESCRIPTION.md" not in fragments:
        raise SystemExit(f"{addon_dir}/readme/DESCRIPTION.md is missing or empty")
    name = manifest["name"]
    lines = [
        "=" * len(name),
        name,
        "=" * len(name),
        "",
        "..",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "   !! This file is generated by scripts/gen_readme.py from readme/*.md !!",
        "   !! changes will be overwritten: edit the fragments, run make readme !!",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        f"   !! source digest: sha256:{_source_digest(manifest, fragments)}",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "",
    ]
    lines += _badges(manifest)
    lines += [md_to_rst(fragments["DESCRIPTION.md"]).rstrip("\n"), ""]
    warning = DEV_STATUS_WARNING.get(manifest.get("development_status"))
    if warning:
        lines += [
            ".. IMPORTANT::",
            f"   {warning}",
            f"   `More details on development status <{DEV_STATUS_URL}>`_",
            "",
        ]
    lines += ["**Table of contents**", "", ".. contents::", "   :local:", ""]
    for fragment, title in SECTIONS:
        if fragment in fragments:
            lines += _section(title, md_to_rst(fragments[fragment]))

    website = manifest.get("website", "").rstrip("/")
    if website.startswith("https://github.com/"):
        lines += _section(
            "Bug Tracker",
            f"Bugs are tracked on `GitHub Issues <{website}/issues>`_.\n"
            "In case of trouble, please check there if your issue has already been reported.",
        )

    lines += _section("Credits")
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    lines += _subsection("Authors", "\n".join(f"- {inline(author)}" for author in authors))
    if "CONTRIBUTORS.md" in fragments:
        lines += _subsection(
            "Contributors", _shift_headings(md_to_rst(fragments["CONTRIBUTORS.md"]), 1)
        )
    if "CREDITS.md" in fragments:
        lines += _subsection(
            "Other credits", _shift_headings(md_to_rst(fragments["CREDITS.md"]), 1)
        )
    if website:
        lines += _subsection(
            "Maintainers",
            f"This module is part of the `{_repo_label(website)} <{website}>`_ project.\n\n"
            "You are welcome to contribute: read the repository's README.md to get started.",
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def _repo_label(website):
    github = re.match(r"https://github\.com/([^/]+/[^/]+)", website)
    return github.group(1) if github else website


# --------------------------------------------------------------------------- command line


def discover_addons():
    return sorted(path.parent for path in ROOT.glob("calendar_sync_*/__manifest__.py"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a README.rst is stale; write nothing"
    )
    parser.add_argument("addons", nargs="*", type=pathlib.Path, help="addon directories")
    args = parser.parse_args(argv)

    addons = args.addons or discover_addons()
    stale = []
    for addon_dir in addons:
        if not (addon_dir / "__manifest__.py").is_file():
            print(f"skip {addon_dir}: no __manifest__.py", file=sys.stderr)
            continue
        readme = addon_dir / "README.rst"
        text = render_readme(addon_dir)
        current = readme.read_text(encoding="utf-8") if readme.is_file() else None
        if current == text:
            continue
        if args.check:
            stale.append(readme)
            print(f"{readme} is stale: run `make readme`", file=sys.stderr)
        else:
            readme.write_text(text, encoding="utf-8")
            print(f"wrote {readme}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
