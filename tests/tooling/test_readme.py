"""Each addon's README.rst is exactly what scripts/gen_readme.py makes of its readme/ fragments.

Edit ``<addon>/readme/*.md`` and run ``make readme``; never edit README.rst by hand.
"""

import importlib.util
import io
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADDONS = sorted(path.parent for path in ROOT.glob("calendar_sync_*/__manifest__.py"))


def _load_gen_readme():
    spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "scripts" / "gen_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_readme = _load_gen_readme()


def test_addons_found():
    assert ADDONS, "no calendar_sync_* addon with a __manifest__.py at the repository root"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_readme_is_up_to_date(addon):
    readme = addon / "README.rst"
    assert readme.is_file(), f"{readme} is missing: run `make readme`"
    assert readme.read_text(encoding="utf-8") == gen_readme.render_readme(addon), (
        f"{readme} is stale: edit {addon.name}/readme/*.md, then run `make readme`"
    )


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_readme_is_valid_restructuredtext(addon):
    docutils_core = pytest.importorskip("docutils.core")
    warnings = io.StringIO()
    docutils_core.publish_doctree(
        (addon / "README.rst").read_text(encoding="utf-8"),
        source_path=str(addon / "README.rst"),
        settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": warnings},
    )
    assert not warnings.getvalue(), warnings.getvalue()


# --------------------------------------------------------------------------- the converter


def test_inline_markup():
    rst = gen_readme.md_to_rst(
        "Use `web.base.url`, **bold**, *italic* and [a link](https://example.com/a_b).\n"
    )
    assert rst == (
        "Use ``web.base.url``, **bold**, *italic* and `a link <https://example.com/a_b>`__.\n"
    )


def test_inline_markup_spanning_lines_and_glued_to_words():
    rst = gen_readme.md_to_rst("in **APIs &\nServices**, the `id`s\n")
    assert rst == "in **APIs &\nServices**, the ``id``\\ s\n"


def test_plain_text_is_escaped():
    assert gen_readme.md_to_rst("a*b, a|b and word_ here\n") == "a\\*b, a\\|b and word\\_ here\n"


def test_headings_become_subsections():
    rst = gen_readme.md_to_rst("# One\n\ntext\n\n## Two\n\nmore\n")
    assert rst == "One\n~~~\n\ntext\n\nTwo\n---\n\nmore\n"


def test_nested_lists_and_code_blocks():
    markdown = (
        "- one\n"
        "  continued\n"
        "  - nested\n"
        "- two\n"
        "\n"
        "1. step:\n"
        "\n"
        "   ```\n"
        "   <web.base.url>/x\n"
        "   ```\n"
        "2. next\n"
        "\n"
        "```python\n"
        "def f():\n"
        "    return 1\n"
        "```\n"
    )
    assert gen_readme.md_to_rst(markdown) == (
        "- one\n"
        "  continued\n"
        "\n"
        "  - nested\n"
        "\n"
        "- two\n"
        "\n"
        "1. step:\n"
        "\n"
        "   ::\n"
        "\n"
        "       <web.base.url>/x\n"
        "\n"
        "2. next\n"
        "\n"
        ".. code-block:: python\n"
        "\n"
        "    def f():\n"
        "        return 1\n"
    )


def test_check_mode_detects_a_stale_readme(tmp_path, capsys):
    addon = tmp_path / "calendar_sync_demo"
    (addon / "readme").mkdir(parents=True)
    (addon / "__manifest__.py").write_text(
        '{"name": "Demo", "license": "LGPL-3", "development_status": "Alpha",'
        ' "author": "Calendar Sync contributors", "version": "18.0.1.0.0"}'
    )
    (addon / "readme" / "DESCRIPTION.md").write_text("Does things.\n")
    (addon / "readme" / "USAGE.md").write_text("Use it.\n")

    assert gen_readme.main(["--check", str(addon)]) == 1  # no README.rst yet
    assert gen_readme.main([str(addon)]) == 0
    assert gen_readme.main(["--check", str(addon)]) == 0
    readme = (addon / "README.rst").read_text()
    assert readme.startswith("====\nDemo\n====\n")
    for expected in ("maturity-Alpha", "license-LGPL--3", ".. contents::", "Usage\n=====\n"):
        assert expected in readme

    (addon / "readme" / "USAGE.md").write_text("Use it differently.\n")
    assert gen_readme.main(["--check", str(addon)]) == 1
    assert "is stale" in capsys.readouterr().err
