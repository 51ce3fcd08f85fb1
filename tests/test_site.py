"""The documentation site's generated pages, pictures and included sections (docs/site_hooks.py,
docs/gallery.py).

`mkdocs build --strict` itself runs in .ci/run (it needs the `docs` extra and takes longer than a unit test).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import gallery  # noqa: E402
import site_hooks  # noqa: E402

from zoo.cli import build_parser  # noqa: E402


def test_cli_page_has_the_help_of_every_command():
    page = site_hooks.cli_page()
    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"list", "train", "plot", "convert"} <= set(commands)
    for name, parser in commands.items():
        assert f"## zoo {name}\n" in page
        assert f"usage: zoo {name}" in page
        for action in parser._actions:
            for option in action.option_strings:
                assert option in page


def test_every_registry_entry_has_a_page_with_its_picture_numbers_and_loading_code():
    catalogue = yaml.safe_load((ROOT / "registry.yaml").read_text())["models"]
    catalogue = {n: e for n, e in catalogue.items() if "url" not in e["weights"]}  # released: one page
    assert set(gallery.PICTURES) == set(catalogue) == set(site_hooks.entries())
    for name, entry in catalogue.items():
        page = site_hooks.model_page(name, entry)
        assert (DOCS / gallery.PICTURES[name]).is_file()
        assert f"](../{gallery.PICTURES[name]})" in page
        assert f'zoo.load("{name}")' in page
        assert " ".join(entry["metrics"]["protocol"].split()) in page
        curves = (DOCS / gallery.curves_file(name)).is_file()
        assert (f"](../{gallery.curves_file(name)})" in page) == curves
        assert curves or "not kept in the repository, so no curves" in page
    index = site_hooks.models_index(catalogue)
    assert all(f"[{name}]({name}.md)" in index for name in catalogue)


def test_the_released_originals_share_one_page_with_their_files_and_papers():
    released = site_hooks.released()
    assert len(released) == 23 and not set(released) & set(site_hooks.entries())
    page = site_hooks.released_page(released)
    for name, entry in released.items():
        assert f"| `{name}` |" in page and f"]({entry['weights']['url']})" in page
    assert "https://arxiv.org/abs/1703.10593" in page and "https://arxiv.org/abs/1611.07004" in page
    assert "[Released originals](released.md)" in site_hooks.models_index(site_hooks.entries())


def test_the_pictures_the_site_shows_exist_and_stay_small():
    shown = set(gallery.PICTURES.values()) | {gallery.curves_file(n) for n in gallery.CURVES}
    assert all((DOCS / name).is_file() for name in shown)
    assert sum((DOCS / name).stat().st_size for name in shown) < 2_000_000
    for page in DOCS.glob("*.md"):
        for picture in re.findall(r"\]\(([^)]+\.png)\)", page.read_text()):
            assert (DOCS / picture).is_file(), f"{page.name} shows {picture}, which does not exist"


def test_included_sections_exist():
    """pymdownx.snippets includes ("--8<-- FILE:SECTION") name start and end markers that are there."""
    includes = [m for page in DOCS.glob("*.md") for m in re.findall(r'--8<-- "([^"]+)"', page.read_text())]
    assert len(includes) >= 4
    for include in includes:
        path, _, section = include.partition(":")
        text = (ROOT / path).read_text()
        if section:
            start, end = text.find(f"[start:{section}]"), text.find(f"[end:{section}]")
            assert 0 <= start < end, f"{path} lacks the section {section}"


def test_gallery_is_deterministic_and_the_committed_picture_is_current(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    gallery.main(["gan-mnist", "--out-dir", str(first)])
    gallery.main(["gan-mnist", "--out-dir", str(second)])
    picture = gallery.PICTURES["gan-mnist"]
    assert (first / picture).read_bytes() == (second / picture).read_bytes()
    assert (first / picture).read_bytes() == (DOCS / picture).read_bytes()


def test_gallery_refuses_an_unknown_entry(capsys):
    with pytest.raises(SystemExit):
        gallery.main(["no-such-model"])
    assert "no picture for no-such-model" in capsys.readouterr().err
