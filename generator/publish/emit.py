"""`congxa build --emit-mkdocs DIR`: write each unit as a plain MkDocs project.

The projects need only MkDocs and Material (the theme overrides are copied in), so they
serve as the peer in benchmarks and as a way out for anyone leaving congxa. What goes into
`docs/` is what the congxa plugin publishes (generator/site/published.py): the pages, the
files they use and the logo; then the feeds and site.json.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from generator.errors import CongxaError, Problem
from generator.site import escaping
from generator.site.bulletin import write_bulletin
from generator.site.config import config_dict
from generator.site.feeds import write_feeds
from generator.site.manifest import write_manifest
from generator.site.published import published
from generator.site.theme import theme_dir
from generator.source.project import Project


def emit_mkdocs(
    project: Project, unit_files: list[Path], dest: Path, written: list[Path] | None = None
) -> list[Problem]:
    """One folder per unit: mkdocs.yml, docs/ (pages, files, feeds), overrides/. The unit
    files whose project was written are appended to `written`."""
    problems: list[Problem] = []
    for unit_file in unit_files:
        try:
            site = project.load_site(unit_file)
        except CongxaError as exc:
            problems.extend(exc.problems)
            continue
        outputs = published(site)
        if outputs.errors:
            problems.extend(outputs.problems)
            continue
        root = dest / unit_file.parent.name / unit_file.stem
        if root.exists():
            shutil.rmtree(root)
        docs = root / "docs"
        for page in outputs.pages:
            target = docs / page.src_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.markdown, encoding="utf-8")
        for uri, source in outputs.files.items():
            target = docs / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        write_feeds(site, docs)
        write_manifest(site, docs)
        write_bulletin(site, docs)
        shutil.copytree(theme_dir(), root / "overrides")
        # Plain MkDocs escapes nothing in templates: the same hook congxa's plugin uses.
        (root / "hooks").mkdir()
        shutil.copyfile(escaping.__file__, root / "hooks" / "escaping.py")
        if project.theme_dir is not None and project.theme_dir.is_dir():
            # The province's own overrides win over congxa's, as in `congxa build`.
            shutil.copytree(project.theme_dir, root / "overrides", dirs_exist_ok=True)
        config = config_dict(site, root / "site", docs)
        config["docs_dir"] = "docs"
        config["site_dir"] = "site"
        config["theme"]["custom_dir"] = "overrides"
        config.pop("validation", None)
        config["hooks"] = ["hooks/escaping.py"]
        (root / "mkdocs.yml").write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        if written is not None:
            written.append(unit_file)
    return problems
