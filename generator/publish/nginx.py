"""Serving: a ready nginx configuration for a province's published sites.

`public/<province>/nginx.conf` holds one `server` block per unit host (taken from the
`site_url` in the unit's published `site.json`) plus one for the province page. It is
meant to be included in nginx's `http {}` block, which must include `mime.types` (Debian's
/etc/nginx/nginx.conf does):

    # /etc/nginx/conf.d/congxa-ha_noi.conf
    include /srv/congxa/public/ha_noi/nginx.conf;

Choices, each for a reason:
- `root` is the unit's published path, a symbolic link switched atomically by
  `publish.py`; nginx follows it on every request (`disable_symlinks off`, the default, and
  no `open_file_cache`), so a new version is live the moment the link moves, with no reload.
- gzip for text types: pages are read on cheap phones over slow links (Circular 26/2020).
- Material's fingerprinted assets (`bundle.<hash>.min.js`, `main.<hash>.min.css`, the
  search worker) change name when they change, so they are cached for a year and
  `immutable`; other assets for an hour; HTML, feeds, `site.json` and the search index are
  revalidated on every use (`no-cache`, answered by a 304 when unchanged), so a published
  correction reaches readers at once; `thiet-yeu.json`, which the emergency banner and
  the bulletin boards poll every minute, may be kept one minute.
- Content-Security-Policy with `script-src 'self'` and no 'unsafe-inline': congxa's theme
  moves Material's inline bootstrap scripts into `assets/javascripts/congxa.js`. Inline
  `<style>` blocks that remain (a unit's own primary colour; the province page's styles)
  are allowed by their SHA-256 hash, read from the published pages, not by 'unsafe-inline'.
  `img-src data:` is needed because Material's CSS draws its icons from data: URIs.
- HTTPS by default: each host gets a `listen 443 ssl http2` server and a port-80 server that
  only answers ACME http-01 challenges and redirects everything else with a 301; HSTS
  (one year, without includeSubDomains: a province domain's other hosts are not congxa's).
  Certificates are read from `<certificates>/<host>/fullchain.pem` and `privkey.pem`, the
  layout certbot writes, listed in one marked block at the top of the file. `tls=None`
  writes plain-http servers instead (behind a proxy that terminates TLS, or for tests).
- Feeds are sent as application/rss+xml and application/atom+xml (mime.types would say
  text/xml), site.json and the search index as application/json.
- No third-party origin anywhere: a commune page must not leak its readers to anyone.
- Uploaded files never run on the site's origin: everything under `files/` (a unit's or
  the province's) is sent as a download (`Content-Disposition: attachment`) with a
  sandboxing CSP; scripts are served only from the theme's `assets/`; HTML only as the
  generated `index.html` and `404.html`; XML only as the generated feeds and sitemap; other
  SVG images with a sandboxing CSP. `nosniff` everywhere, and no page may be framed.
- Built from validated parts only: host names match a strict pattern (the `site_url` rule
  of generator/source/siteurl.py), paths are checked before they are quoted, and every
  text that lands in a comment is reduced to printable characters on one line, so no
  input can end a comment or a directive.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from generator import __version__
from generator.errors import BuildError, Problem
from generator.source.project import Project
from generator.source.siteurl import normalise_site_url

CONF_NAME = "nginx.conf"
LONG_CACHE = "public, max-age=31536000, immutable"
ASSET_CACHE = "public, max-age=3600"
SHORT_CACHE = "no-cache"
HSTS = "max-age=31536000"
CERTIFICATES = Path("/etc/letsencrypt/live")
ACME_ROOT = Path("/var/www/letsencrypt")
# feeds/thiet-yeu.json (and the province's thiet-yeu.json): banners and bulletin boards
# poll it every minute and revalidate; a proxy may keep it a minute at most.
LIVE_CACHE = "public, max-age=60"

GZIP_TYPES = (
    "text/plain text/css text/xml application/javascript text/javascript "
    "application/json application/xml application/rss+xml application/atom+xml "
    "image/svg+xml"
)
# Material's fingerprinted files: bundle.a5f9d56c.min.js, workers/search.a7633da7.min.js,
# main.57a0d79d.min.css, palette.fb2fffe2.min.css and their source maps.
FINGERPRINTED = r"\.[0-9a-f]{8}\.min\.(?:js|css)(?:\.map)?$"
STATIC = r"\.(?:css|js|map|png|jpe?g|gif|webp|svg|ico|woff2?|pdf|docx?|xlsx?|odt|ods|zip)$"

_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_LISTEN = re.compile(r"(?:(?:\d{1,3}\.){3}\d{1,3}:|\[[0-9a-f:]+\]:)?\d{1,5}")
# Inside nginx's double quotes: no quote, no variable, no escape, nothing that is not printed.
_UNSAFE_IN_QUOTES = re.compile(r'["$\\;{}]|[^\S ]|[\x00-\x1f\x7f-\x9f]')
# Served as a download only: uploads, whatever their type.
SANDBOX_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?application/(?:ld\+)?json""", re.IGNORECASE)


@dataclass(frozen=True)
class Tls:
    """HTTPS for every host: where nginx listens and where the certificates are."""

    listen: str = "443"
    certificates: Path = CERTIFICATES  # <certificates>/<host>/fullchain.pem, privkey.pem
    acme_root: Path = ACME_ROOT  # webroot for certbot's http-01 challenges

    def certificate(self, host: str) -> Path:
        return self.certificates / host / "fullchain.pem"

    def key(self, host: str) -> Path:
        return self.certificates / host / "privkey.pem"

    def origin(self, host: str) -> str:
        port = self.listen.rsplit(":", 1)[-1]
        return f"https://{host}" + ("" if port == "443" else f":{port}")


@dataclass(frozen=True)
class Host:
    """One server block: who it answers for, what it serves, which inline styles it allows."""

    name: str
    root: Path
    label: str
    style_hashes: tuple[str, ...] = ()
    script_hashes: tuple[str, ...] = ()
    hsts: bool = False  # served over https: tell browsers to keep to it


def inline_hashes(page: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CSP hashes of the inline `<style>` and executable inline `<script>` blocks of a page.

    Data blocks (`<script type="application/json">`, Material's `__config`) are not run, so
    the policy does not need them.
    """
    if not page.is_file():
        return (), ()
    styles: set[str] = set()
    scripts: set[str] = set()
    for tag, attrs, body in _INLINE.findall(page.read_text(encoding="utf-8", errors="replace")):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        token = f"'sha256-{digest}'"
        if tag.lower() == "style":
            styles.add(token)
        elif not _SRC.search(attrs) and not _DATA_TYPE.search(attrs):
            scripts.add(token)
    return tuple(sorted(styles)), tuple(sorted(scripts))


def _hashes_of(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # The head of every page comes from the same template, so the home page and the 404
    # page carry every inline block the site has; reading 40 pages per unit for 3,321
    # units on every nightly run would cost more than it finds.
    styles: set[str] = set()
    scripts: set[str] = set()
    for name in ("index.html", "404.html"):
        s, j = inline_hashes(root / name)
        styles.update(s)
        scripts.update(j)
    return tuple(sorted(styles)), tuple(sorted(scripts))


def unit_hosts(project: Project, out: Path, province_folder: str) -> tuple[list[Host], list[str]]:
    """Every published unit of the province that has a host of its own; and notes on the
    units left out (no published site, a site_url with a path, a host used twice)."""
    province_out = out / province_folder
    hosts: list[Host] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    names = sorted(
        {f.stem for f in project.unit_files([project.communes_dir / province_folder])}
        if (project.communes_dir / province_folder).is_dir()
        else set()
    )
    # A unit whose commune file is gone or broken still has its last published site: keep
    # serving whatever is published, so list the folders too.
    names = sorted(
        set(names)
        | {
            p.name
            for p in province_out.iterdir()
            if not p.name.startswith(".") and (p / "site.json").is_file()
        }
    )
    for name in names:
        root = province_out / name
        manifest = root / "site.json"
        if not manifest.is_file():
            notes.append(f"{name}: chưa xuất bản (not published yet)")
            continue
        try:
            site_url = str(json.loads(manifest.read_text(encoding="utf-8"))["site_url"])
        except (OSError, ValueError, KeyError) as exc:
            notes.append(f"{name}: site.json không đọc được (unreadable): {exc}")
            continue
        normalised = normalise_site_url(site_url)
        parts = urlsplit(normalised or "")
        host = parts.hostname or ""
        if normalised is None or not valid_host(host):
            notes.append(f"{name}: site_url không hợp lệ (invalid site_url) {site_url!r}")
        elif parts.path not in ("", "/"):
            notes.append(
                f"{name}: site_url có đường dẫn (has a path) {normalised}; "
                "chỉ phục vụ trang ở gốc tên miền (served only at a host's root)"
            )
        elif host in seen:
            notes.append(f"{name}: tên miền {host} đã dùng cho (host already used by) {seen[host]}")
        elif not _safe_path(root):
            notes.append(f"{name}: đường dẫn có ký tự đặc biệt (unsafe path) {str(root)!r}")
        else:
            seen[host] = name
            styles, scripts = _hashes_of(root)
            hosts.append(Host(host, root, name, styles, scripts))
    return hosts, notes


def valid_host(name: str) -> bool:
    """A host name nginx may be told: lower-case letters, digits, hyphens and dots."""
    return len(name) <= 253 and _HOST.fullmatch(name) is not None


def _safe_path(path: Path) -> bool:
    return _UNSAFE_IN_QUOTES.search(str(path)) is None


def comment(text: str) -> str:
    """`text` for an nginx comment: one line of printable characters (others as \\uXXXX)."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def province_host_for(hosts: list[Host], province_folder: str) -> str:
    """The province page's host: the domain its units share ('hanoi.gov.vn'), if any."""
    labels = [h.name.split(".") for h in hosts]
    common: list[str] = []
    if labels:
        for parts in zip(*(reversed(x) for x in labels), strict=False):
            if len(set(parts)) != 1:
                break
            common.insert(0, parts[0])
    if len(common) >= 2 and not any(len(x) == len(common) for x in labels):
        return ".".join(common)
    fallback = province_folder.replace("_", "-").lower() + ".localhost"
    return fallback if valid_host(fallback) else "province.localhost"


def csp(host: Host) -> str:
    styles = " ".join(("'self'",) + host.style_hashes)
    scripts = " ".join(("'self'",) + host.script_hashes)
    return (
        "default-src 'self'; "
        f"script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def _headers(
    host: Host,
    cache: str,
    indent: str,
    *,
    download: bool = False,
    sandbox: bool = False,
) -> list[str]:
    # add_header in a location replaces every add_header of the server, so each location
    # repeats the full set; `always` puts them on 404s too.
    policy = f"{SANDBOX_CSP}; frame-ancestors 'none'" if download or sandbox else csp(host)
    lines = [f'{indent}add_header Strict-Transport-Security "{HSTS}" always;'] if host.hsts else []
    lines += [
        f'{indent}add_header Cache-Control "{cache}" always;',
        f'{indent}add_header Content-Security-Policy "{policy}" always;',
        f'{indent}add_header X-Content-Type-Options "nosniff" always;',
        f'{indent}add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
        f'{indent}add_header X-Frame-Options "DENY" always;',
        f'{indent}add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;',
    ]
    if download:
        lines.append(f'{indent}add_header Content-Disposition "attachment" always;')
    return lines


def _quoted(path: Path) -> str:
    if not _safe_path(path):
        raise BuildError(
            Problem(
                f"Thư mục xuất bản có ký tự nginx không chấp nhận (unsafe path for nginx): "
                f"{str(path)!r}.",
                hint="chọn thư mục --out không có dấu ngoặc kép, $, \\, ;, {, } hay ký tự "
                "điều khiển.",
            )
        )
    return f'"{path}"'


def _uploads(host: Host, prefix: str) -> list[str]:
    """Locations that keep uploaded files from running on the site's origin.

    `prefix` is a regular expression for the part of the path before a site's own paths:
    "" on a unit's host, "(?:/[^/]+)?" on the province's host (which serves each unit under
    its folder too). The first matching regular-expression location wins, so the order
    matters: downloads first, then what only congxa generates.
    """
    p = prefix
    deny = ["        return 404;"]
    return [
        "    # Uploads (files/ of a unit or of the province): downloaded, never rendered.",
        f'    location ~ "^{p}/(?:tinh/)?files/" {{',
        *_headers(host, ASSET_CACHE, "        ", download=True),
        "    }",
        "    # Scripts only from the theme (assets/, the board's bang-tin/); HTML only as generated",
        "    # pages; XML only as feeds.",
        f'    location ~ "^(?!{p}/(?:assets|bang-tin)/).*\\.(?i:m?js)$" {{',
        *deny,
        "    }",
        f'    location ~ "^(?!{p}/404\\.html$).*\\.(?i:x?html?|xht|shtml)(?<!/index\\.html)$" {{',
        *deny,
        "    }",
        (
            f'    location ~ "^(?!{p}/(?:feeds/[a-z0-9-]+\\.xml|sitemap\\.xml)$)'
            '.*\\.(?i:xml|xsl|xslt)$" {'
        ),
        *deny,
        "    }",
        "    # SVG images outside the theme may hold script: never active as a document.",
        f'    location ~ "^(?!{p}/assets/).*\\.(?i:svgz?)$" {{',
        *_headers(host, ASSET_CACHE, "        ", sandbox=True),
        "    }",
    ]


def redirect_block(host: Host, listen: str, tls: Tls) -> str:
    """Port 80 for one host: ACME http-01 challenges, and a 301 to https for the rest."""
    return (
        "\n".join(
            [
                f"# {comment(host.label)}: http → https",
                "server {",
                f"    listen {listen};",
                f"    server_name {host.name};",
                "    server_tokens off;",
                "    location ^~ /.well-known/acme-challenge/ {",
                f"        root {_quoted(tls.acme_root)};",
                "        default_type text/plain;",
                "    }",
                "    location / {",
                f"        return 301 {tls.origin(host.name)}$request_uri;",
                "    }",
                "}",
            ]
        )
        + "\n"
    )


def _feeds(host: Host, prefix: str) -> list[str]:
    """Feeds with their own media types (mime.types says text/xml for any .xml)."""
    p = prefix
    out = []
    for pattern, kind in (
        ("feeds/atom\\.xml", "application/atom+xml"),
        ("feeds/(?!sitemap\\.xml$)[a-z0-9-]+\\.xml", "application/rss+xml"),
    ):
        out += [
            f'    location ~ "^{p}/{pattern}$" {{',
            f"        types {{ {kind} xml; }}",
            *_headers(host, SHORT_CACHE, "        "),
            "    }",
        ]
    return out


def server_block(host: Host, listen: str, *, province: bool = False, tls: Tls | None = None) -> str:
    """One nginx `server` for one host (https when `tls` is given)."""
    if tls is None:
        listening = [f"    listen {listen};"]
    else:
        listening = [
            f"    listen {tls.listen} ssl http2;",
            "    # Certificate files: see the TLS block at the top of this file.",
            f"    ssl_certificate {_quoted(tls.certificate(host.name))};",
            f"    ssl_certificate_key {_quoted(tls.key(host.name))};",
            "    ssl_protocols TLSv1.2 TLSv1.3;",
            "    ssl_session_cache shared:congxa_tls:10m;",
            "    ssl_session_timeout 1d;",
        ]
    lines = [
        f"# {comment(host.label)}",
        "server {",
        *listening,
        f"    server_name {host.name};",
        f"    root {_quoted(host.root)};",
        "    index index.html;",
        "    charset utf-8;",
        (
            "    charset_types text/css text/xml text/plain application/javascript "
            "application/json application/rss+xml application/atom+xml;"
        ),
        "    disable_symlinks off;",
        "    server_tokens off;",
        "    gzip on;",
        "    gzip_vary on;",
        "    gzip_proxied any;",
        "    gzip_comp_level 6;",
        "    gzip_min_length 256;",
        f"    gzip_types {GZIP_TYPES};",
        "    error_page 404 /404.html;",
        "",
        "    location / {",
        "        try_files $uri $uri/ =404;",
        *_headers(host, SHORT_CACHE, "        "),
        "    }",
        "    # Hidden files: congxa's build state (.congxa/) and anything like it.",
        '    location ~ "/\\.(?!well-known/)" {',
        "        return 404;",
        "    }",
        *_uploads(host, "(?:/[^/]+)?" if province else ""),
        *_feeds(host, "(?:/[^/]+)?" if province else ""),
        f'    location ~ "{FINGERPRINTED}" {{',
        *_headers(host, LONG_CACHE, "        "),
        "    }",
        f'    location ~* "{STATIC}" {{',
        *_headers(host, ASSET_CACHE, "        "),
        "    }",
        '    location ~ "/thiet-yeu\\.json$" {',
        "        default_type application/json;",
        *_headers(host, LIVE_CACHE, "        "),
        "    }",
    ]
    if province:
        lines += [
            "    # This file itself and the province's build state are not for the public.",
            f"    location = /{CONF_NAME} {{",
            "        return 404;",
            "    }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def nginx_conf(
    project: Project,
    out: Path,
    province_folder: str,
    listen: str = "80",
    province_host: str | None = None,
    tls: Tls | None = Tls(),
) -> str:
    """The text of a province's nginx configuration (see `write_nginx_conf`)."""
    for value in (listen, *([tls.listen] if tls else [])):
        if _LISTEN.fullmatch(value) is None:
            raise ValueError(f"not an nginx listen value (port or address:port): {value!r}")
    if province_host is not None and not valid_host(province_host):
        raise ValueError(f"not a host name: {province_host!r}")
    out = out.resolve()
    hosts, notes = unit_hosts(project, out, province_folder)
    province_root = out / province_folder
    p_styles, p_scripts = _hashes_of(province_root)
    province = Host(
        province_host or province_host_for(hosts, province_folder),
        province_root,
        f"trang tỉnh (province page) {province_folder}",
        p_styles,
        p_scripts,
    )
    head = [
        (
            f"# nginx configuration for the province {comment(province_folder)}, written by "
            f"congxa {__version__}."
        ),
        "# Include it inside http {} (which must include mime.types), e.g.",
        f"#   include {comment(str(out / province_folder / CONF_NAME))};",
        "# Generated: edit the commune files and rebuild instead of this file.",
    ]
    head += [f"# Không phục vụ (not served): {comment(note)}" for note in notes]
    every = [*hosts, province]
    if tls is not None:
        head += tls_notes(every, tls)
        every = [replace(h, hsts=True) for h in every]
    blocks = []
    for index, host in enumerate(every):
        if tls is not None:
            blocks.append(redirect_block(host, listen, tls))
        blocks.append(server_block(host, listen, province=index == len(hosts), tls=tls))
    return "\n".join(head) + "\n\n" + "\n".join(blocks)


def tls_notes(hosts: list[Host], tls: Tls) -> list[str]:
    """The one place that says which certificate files each host needs, and how to get them."""
    names = [h.name for h in hosts]
    lines = [
        "#",
        "# ==== TLS certificates (chứng chỉ TLS) =====================================",
        "# Each https server below reads <dir>/<host>/fullchain.pem and privkey.pem, the",
        f"# layout certbot writes; <dir> is {comment(str(tls.certificates))}. Needed files:",
    ]
    lines += [
        f"#   {h}: {comment(str(tls.certificate(h)))}, {comment(str(tls.key(h)))}" for h in names
    ]
    lines += [
        "# Obtain them from an ACME authority (Let's Encrypt) with certbot, one per host; port 80",
        f"# serves the challenges from {comment(str(tls.acme_root))}:",
        *(f"#   certbot certonly --webroot -w {comment(str(tls.acme_root))} -d {h}" for h in names),
        "# (the very first time, before nginx can start with these files: stop nginx and use",
        "# `certbot certonly --standalone -d <host>`). Renewal is certbot's own timer; add",
        "# --deploy-hook 'systemctl reload nginx' so nginx picks up the new files.",
        "# ============================================================================",
    ]
    return lines


def write_nginx_conf(
    project: Project,
    out: Path,
    province_folder: str,
    listen: str = "80",
    province_host: str | None = None,
    tls: Tls | None = Tls(),
) -> Path:
    """Write `out/<province_folder>/nginx.conf` (atomically) and return its path.

    `listen` is nginx's listen value for http ("80", "127.0.0.1:8080"); `tls` the https
    side (default: port 443, certificates where certbot puts them); with `tls=None` the
    hosts are served over plain http on `listen`. `province_host` names the province
    page's host (default: the domain the units share, e.g. "hanoi.gov.vn").
    """
    text = nginx_conf(project, out, province_folder, listen, province_host, tls)
    target = out / province_folder / CONF_NAME
    tmp = target.with_name(f".{CONF_NAME}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
