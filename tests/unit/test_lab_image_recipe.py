"""Image recipe: validation, content key, mirror discovery from the host's apt configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mllb_lab.errors import UserError
from mllb_lab.lab.image import plan_image
from mllb_lab.lab.mirror import debian_mirror
from mllb_lab.lab.recipe import default_recipe_path, load_recipe


@pytest.fixture
def recipe_copy(tmp_path: Path) -> Path:
    shutil.copytree(default_recipe_path().parent, tmp_path / "qemu")
    return tmp_path / "qemu" / "image-recipe.yml"


def test_shipped_recipe_loads_with_what_the_lab_needs() -> None:
    recipe = load_recipe()
    for package in ("openssh-server", "python3", "dbus", "libpam-systemd", "numactl", "stress-ng"):
        assert package in recipe.packages
    assert "mllb-seed.service" in recipe.enabled_units
    assert all(f.src.is_file() for f in recipe.files)


def test_key_follows_recipe_guest_files_and_release(recipe_copy: Path) -> None:
    key = load_recipe(recipe_copy).key("bookworm")
    assert key.startswith("bookworm-")
    assert load_recipe(recipe_copy).key("bookworm") == key
    assert load_recipe(recipe_copy).key("trixie") != key
    seed_script = recipe_copy.parent / "guest" / "mllb-seed"
    seed_script.write_text(seed_script.read_text() + "# changed\n")
    assert load_recipe(recipe_copy).key("bookworm") != key


def test_recipe_errors_name_the_field(recipe_copy: Path) -> None:
    index = load_recipe(recipe_copy).packages.index("stress-ng")
    text = recipe_copy.read_text().replace("  - stress-ng\n", "  - 'stress ng; rm -rf /'\n")
    recipe_copy.write_text(text)
    with pytest.raises(UserError) as err:
        load_recipe(recipe_copy)
    assert err.value.field == f"{recipe_copy}: packages[{index}]"


def test_plan_image_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLLB_CACHE_HOME", str(tmp_path / "cache"))
    image = plan_image("bookworm")
    assert image.dir == tmp_path / "cache" / "images" / image.key
    assert not image.ready
    assert not (tmp_path / "cache").exists()
    with pytest.raises(UserError, match="--release"):
        plan_image("Bookworm; true")


def test_mirror_from_deb822_and_one_line_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLLB_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# comment\nURIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
    )
    assert debian_mirror("bookworm", tmp_path) == "http://mirror.example/debian"
    assert debian_mirror("trixie", tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list.d" / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text(
        "deb [arch=amd64] http://old.example/debian bookworm main\n"
    )
    assert debian_mirror("bookworm", tmp_path) == "http://old.example/debian"
    monkeypatch.setenv("MLLB_DEBIAN_MIRROR", "http://override.example/debian")
    assert debian_mirror("bookworm", tmp_path) == "http://override.example/debian"


def test_no_mirror_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLLB_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    with pytest.raises(UserError, match="MLLB_DEBIAN_MIRROR"):
        debian_mirror("bookworm", tmp_path)
