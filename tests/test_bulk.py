"""Bulk publishing: parallel workers, sharding, atomic publishing under kill -9."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.publish.build import BuildStatus
from generator.publish.bulk import build_many, shard_of
from generator.publish.fingerprint import FileHashes
from generator.site.theme import theme_dir
from generator.source.project import Project
from generator.source.registry import load_registry
from tests.conftest import REPO, TODAY


def national_files() -> list[Path]:
    registry = load_registry()
    return [
        Path("communes") / u.province_codename / f"{u.stem}.yml" for u in registry.units.values()
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 34, 40])
def test_shards_cover_every_unit_exactly_once(n: int) -> None:
    files = national_files()
    shards = [shard_of(files, k, n) for k in range(1, n + 1)]
    flat = [f for shard in shards for f in shard]
    assert sorted(flat) == sorted(files) and len(flat) == len(set(flat)) == 3321
    assert shard_of(files, 1, n) == shards[0]  # deterministic
    if n <= 34:  # whole provinces kept together
        owners = {}
        for k, shard in enumerate(shards):
            for f in shard:
                assert owners.setdefault(f.parent.name, k) == k
    if n in (2, 3, 7):
        sizes = [len(s) for s in shards]
        assert max(sizes) - min(sizes) <= 168  # balanced within one large province


def copy_demo(root: Path) -> None:
    shutil.copytree(REPO / "communes", root / "communes")
    shutil.copytree(REPO / "content", root / "content")


def test_parallel_build_equals_serial(tmp_path: Path) -> None:
    copy_demo(tmp_path / "repo")
    project = Project.discover(tmp_path / "repo", TODAY)
    files = project.unit_files()
    assert not build_many(project, files, tmp_path / "serial", jobs=1).failed
    summary = build_many(project, files, tmp_path / "parallel", jobs=2)
    assert [r.status for r in summary.results] == ["built"] * 4
    for unit in files:
        a = (tmp_path / "serial/ha_noi" / unit.stem).resolve()
        b = (tmp_path / "parallel/ha_noi" / unit.stem).resolve()
        files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
        assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def unit_tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_sites_sharing_a_store_are_the_sites_built_alone(tmp_path: Path) -> None:
    """Files shared through the object store are never written through: every unit built
    with the others is byte for byte the unit built on its own (its sitemap lists its own
    pages, not the last unit's)."""
    copy_demo(tmp_path / "repo")
    project = Project.discover(tmp_path / "repo", TODAY)
    files = project.unit_files()
    together = tmp_path / "together"
    assert not build_many(project, files, together, jobs=2).failed
    for unit in files:
        alone = tmp_path / f"alone-{unit.stem}"
        assert not build_many(project, [unit], alone, jobs=1).failed
        mine = unit_tree((together / "ha_noi" / unit.stem).resolve())
        assert mine == unit_tree((alone / "ha_noi" / unit.stem).resolve())
        site_url = project.load_site(unit).unit.site_url
        sitemap = mine["sitemap.xml"].decode()
        assert sitemap.count("<loc>") == sitemap.count(f"<loc>{site_url}") > 1


def test_assets_are_stored_once(tmp_path: Path) -> None:
    copy_demo(tmp_path / "repo")
    project = Project.discover(tmp_path / "repo", TODAY)
    build_many(project, project.unit_files(), tmp_path / "public", jobs=1)
    bundles = list(
        (tmp_path / "public/ha_noi/.congxa/versions").glob("*/assets/javascripts/bundle.*.min.js")
    )
    assert len(bundles) == 4
    assert len({b.stat().st_ino for b in bundles}) == 1  # one file, four links


def test_one_unit_changed_rebuilds_only_it(tmp_path: Path) -> None:
    copy_demo(tmp_path / "repo")
    project = Project.discover(tmp_path / "repo", TODAY)
    out = tmp_path / "public"
    build_many(project, project.unit_files(), out, jobs=1)
    (tmp_path / "repo/content/ha_noi/xa_soc_son/tin-tuc/moi.md").write_text(
        "---\ntitle: Tin mới\ndate: 2026-11-28\n---\nx\n", encoding="utf-8"
    )
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert {r.unit_file.stem: r.status for r in summary.results} == {
        "phuong_ba_dinh": "unchanged",
        "phuong_cua_nam": "unchanged",
        "phuong_hoan_kiem": "unchanged",
        "xa_soc_son": "built",
    }
    # A shared province post changes every unit of the province.
    (tmp_path / "repo/content/ha_noi/_province/thong-bao/chung.md").write_text(
        "---\ntitle: Tin chung\ndate: 2026-11-28\n---\nx\n", encoding="utf-8"
    )
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert [r.status for r in summary.results] == ["built"] * 4


def test_expiry_passing_triggers_a_rebuild(tmp_path: Path) -> None:
    from datetime import date

    copy_demo(tmp_path / "repo")
    out = tmp_path / "public"
    before = Project.discover(tmp_path / "repo", date(2027, 2, 27))
    files = [f for f in before.unit_files() if f.stem == "phuong_hoan_kiem"]
    build_many(before, files, out, jobs=1)
    same_state = Project.discover(tmp_path / "repo", date(2027, 2, 28))
    assert build_many(same_state, files, out, jobs=1).results[0].status == "unchanged"
    # The emergency item expires at the end of 2027-02-28.
    after = Project.discover(tmp_path / "repo", date(2027, 3, 1))
    assert build_many(after, files, out, jobs=1).results[0].status == "built"


def published_state(out: Path) -> dict[str, tuple[str, int]]:
    """unit → (version folder, number of files) for every published unit."""
    state = {}
    for link in sorted((out / "ha_noi").iterdir()):
        if link.is_symlink():
            target = link.resolve()
            state[link.name] = (target.name, sum(1 for p in target.rglob("*") if p.is_file()))
    return state


def test_kill_9_leaves_published_sites_whole(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    copy_demo(repo)
    out = tmp_path / "public"
    cmd = [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--out",
        str(out),
        "--today",
        "2026-11-29",
        "-j",
        "1",
        "--root",
        str(repo),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    first = published_state(out)
    full = {name: count for name, (_, count) in first.items()}

    for unit in first:  # change every unit, then kill the rebuild part-way
        (repo / f"content/ha_noi/{unit}/tin-tuc/moi.md").write_text(
            "---\ntitle: Tin mới\ndate: 2026-11-28\n---\nx\n", encoding="utf-8"
        )
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        changed = [u for u, (v, _) in published_state(out).items() if v != first[u][0]]
        staging = (
            list((out / "ha_noi/.congxa/staging").glob("*"))
            if (out / "ha_noi/.congxa/staging").exists()
            else []
        )
        if changed and staging:
            break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    middle = published_state(out)
    assert set(middle) == set(first)
    for unit, (version, count) in middle.items():
        # Every site is the old one or a complete new one (one more post: more files).
        assert version == first[unit][0] or count > full[unit], unit
        assert (out / "ha_noi" / unit / "index.html").is_file() and (
            out / "ha_noi" / unit / "site.json"
        ).is_file()
    assert any(v != first[u][0] for u, (v, _) in middle.items())  # killed part-way
    assert any(v == first[u][0] for u, (v, _) in middle.items())

    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    last = published_state(out)
    assert all(last[u][0] != first[u][0] for u in first)
    assert not list((out / "ha_noi/.congxa/staging").glob("*"))


def test_unchanged_files_are_fingerprinted_by_stat(tmp_path: Path) -> None:
    copy_demo(tmp_path / "repo")
    time.sleep(2.1)  # files modified in the last two seconds are always read again
    project = Project.discover(tmp_path / "repo", TODAY)
    files = project.unit_files()
    out = tmp_path / "public"
    inputs = [*(tmp_path / "repo").rglob("*"), *theme_dir().rglob("*")]
    every = len([p for p in inputs if p.is_file() and "__pycache__" not in p.parts])
    first = build_many(project, files, out, jobs=1)
    assert first.hashed == every  # each file read once, the province's shared ones too
    again = build_many(project, files, out, jobs=1)
    assert again.hashed == 0 and {r.status for r in again.results} == {"unchanged"}

    # An edit that keeps the size and puts the modification time back (`touch -d`):
    # the change time still moves, so the file is read and the unit rebuilt.
    post_file = tmp_path / "repo/content/ha_noi/xa_soc_son/tin-tuc/moi.md"
    post_file.write_text("---\ntitle: Tin mới\ndate: 2026-11-28\n---\nx\n", encoding="utf-8")
    time.sleep(2.1)
    assert build_many(project, files, out, jobs=1).hashed == 1
    old = post_file.stat()
    post_file.write_text("---\ntitle: Tin mới\ndate: 2026-11-28\n---\ny\n", encoding="utf-8")
    os.utime(post_file, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert post_file.stat().st_size == old.st_size
    summary = build_many(project, files, out, jobs=1)
    assert summary.hashed == 1
    assert {r.unit_file.stem for r in summary.of(BuildStatus.BUILT)} == {"xa_soc_son"}

    # --force reads every file again, whatever the remembered hashes say.
    time.sleep(2.1)
    cache = out / ".congxa/cache/inputs/ha_noi.json"
    data = json.loads(cache.read_text())
    for entry in data["files"].values():
        entry[4] = "00" * 32
    cache.write_text(json.dumps(data))
    forced = build_many(project, files, out, jobs=1, force=True)
    assert forced.hashed == every + 1 and len(forced.of(BuildStatus.BUILT)) == 4  # with moi.md
    assert build_many(project, files, out, jobs=1).hashed == 0  # hashes remembered again

    # A post removed from a folder whose listing was remembered: the folder's own stat
    # changed, so its listing is read again.
    post_file.unlink()
    summary = build_many(project, files, out, jobs=1)
    assert {r.unit_file.stem for r in summary.of(BuildStatus.BUILT)} == {"xa_soc_son"}
    assert summary.hashed == 0


def store_objects(out: Path) -> dict[str, int]:
    """Every stored object and its link count."""
    return {str(p): p.stat().st_nlink for p in (out / ".congxa/objects").rglob("*") if p.is_file()}


def test_a_small_run_drops_exactly_the_objects_its_replaced_versions_used(
    tmp_path: Path,
) -> None:
    copy_demo(tmp_path / "repo")
    project = Project.discover(tmp_path / "repo", TODAY)
    files = project.unit_files()
    out = tmp_path / "public"
    build_many(project, files, out, jobs=1)
    post_file = next((tmp_path / "repo/content/ha_noi/xa_soc_son").rglob("*.md"))
    page = out / "ha_noi/xa_soc_son" / post_file.parent.name / post_file.stem / "index.html"
    old_object = hashlib.sha256(page.read_bytes()).hexdigest()
    before = store_objects(out)
    assert 1 not in before.values()
    old_path = str(out / ".congxa/objects" / old_object[:2] / old_object[2:])
    assert before[old_path] == 2  # the store and this page

    # Something a killed run left: an object nothing links to. Only a full walk finds it.
    stray = out / ".congxa/objects/00" / ("0" * 62)
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left by a killed run")

    post_file.write_text(post_file.read_text(encoding="utf-8") + "\nThêm.\n", encoding="utf-8")
    summary = build_many(project, files, out, jobs=1)
    assert [r.unit_file.stem for r in summary.of(BuildStatus.BUILT)] == ["xa_soc_son"]
    after = store_objects(out)
    assert old_path not in after  # the old page's object is gone
    assert hashlib.sha256(page.read_bytes()).hexdigest() != old_object
    assert [p for p, n in after.items() if n == 1] == [str(stray)]  # nothing else unused
    # Objects the other units (and the theme) still use are kept.
    assert set(before) - set(after) - {old_path} <= {
        p for p in before if before[p] == 2
    }  # only objects that one version alone used

    summary = build_many(project, files, out, jobs=1, force=True)
    assert not [p for p, n in store_objects(out).items() if n == 1]  # the walk found it


def test_hashes_are_kept_one_province_at_a_time(tmp_path: Path) -> None:
    files = tmp_path / "content"
    for province in ("a", "b"):
        (files / province).mkdir(parents=True)
        for i in range(3):
            (files / province / f"{i}.md").write_text(f"{province}{i}", encoding="utf-8")
    time.sleep(2.1)  # files changed in the last two seconds are never remembered
    hashes = FileHashes(tmp_path / "cache")
    first = {p: hashes.lookup(str(p), p.parent.name) for p in sorted(files.rglob("*.md"))}
    hashes.release("a")
    assert (tmp_path / "cache/a.json").is_file()  # saved when released
    assert hashes.read == 6
    again = {p: hashes.lookup(str(p), p.parent.name) for p in sorted(files.rglob("*.md"))}
    assert again == first and hashes.read == 6  # read back from the saved bucket


def add_units(repo: Path, provinces: tuple[str, ...]) -> None:
    """One unit in each province of `provinces` (codes), made from xa_soc_son."""
    registry = load_registry()
    source = (repo / "communes/ha_noi/xa_soc_son.yml").read_text(encoding="utf-8")
    for code in provinces:
        unit = registry.units_of(code)[0]
        text = source.replace('code: "00376"', f'code: "{unit.code}"')
        text = text.replace(
            "name: Xã Sóc Sơn\ntype: xã\n", f"name: {unit.name}\ntype: {unit.type}\n"
        )
        text = text.replace("xasocson.hanoi", unit.stem.replace("_", ""))
        folder = repo / "communes" / unit.province_codename
        folder.mkdir()
        (folder / f"{unit.stem}.yml").write_text(text, encoding="utf-8")
        shutil.copytree(
            repo / "content/ha_noi/xa_soc_son",
            repo / "content" / unit.province_codename / unit.stem,
        )


def test_province_outputs_made_in_parallel_equal_those_made_one_by_one(tmp_path: Path) -> None:
    """Several provinces: their pages, feeds, data and nginx.conf are made by the workers."""
    repo = tmp_path / "repo"
    copy_demo(repo)
    add_units(repo, ("79", "48"))  # one unit in each of two more provinces
    project = Project.discover(repo, TODAY)
    files = project.unit_files()
    provinces = sorted({f.parent.name for f in files})
    assert len(provinces) == 3
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"public-{jobs}"
        summary = build_many(project, files, out, jobs=jobs)
        assert not summary.failed and not summary.problems
        outputs[jobs] = {
            str(p.relative_to(out)): p.read_bytes().replace(str(out).encode(), b"OUT")
            for province in provinces
            for p in (out / province).glob("**/*")
            if p.is_file()
            and ".congxa" not in p.parts
            and not (out / province / p.relative_to(out / province).parts[0]).is_symlink()
        }
    assert outputs[1] == outputs[2]
    for province in provinces:
        assert f"{province}/units.json" in outputs[2] and f"{province}/nginx.conf" in outputs[2]


def test_units_in_any_order_keep_their_hashes(tmp_path: Path) -> None:
    """Planning forgets a province's file hashes when it moves to another (fingerprint.py,
    `release`): units named in any order, provinces interleaved, are all planned from
    hashes saved and read back, and a second run reads no file and rebuilds nothing."""
    repo = tmp_path / "repo"
    copy_demo(repo)
    add_units(repo, ("79",))
    project = Project.discover(repo, TODAY)
    files = project.unit_files()
    others = [f for f in files if f.parent.name != "ha_noi"]
    ha_noi = [f for f in files if f.parent.name == "ha_noi"]
    assert len(others) == 1 and len(ha_noi) > 2
    # Ha Noi, the other province, Ha Noi again: its hashes are released, then read back.
    interleaved = [*reversed(ha_noi[1:]), *others, ha_noi[0]]
    time.sleep(2.1)  # files changed in the last two seconds are never remembered
    out = tmp_path / "public"
    first = build_many(project, interleaved, out, jobs=2)
    assert [r.status for r in first.results] == [BuildStatus.BUILT] * len(files)
    again = build_many(project, list(reversed(interleaved)), out, jobs=2)
    assert [r.status for r in again.results] == [BuildStatus.UNCHANGED] * len(files)
    assert again.hashed == 0
