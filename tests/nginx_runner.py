"""Running Debian's nginx on a generated configuration, for the serving and browser tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.publish.nginx import Tls

NGINX = "/usr/sbin/nginx"
LOCAL_CA = "congxa test CA"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (NGINX if Path(NGINX).is_file() else None)


def main_conf(include: Path, prefix: Path) -> str:
    """A whole nginx.conf for an unprivileged nginx that serves `include` from `prefix`."""
    # As root, nginx would run its workers as nobody, who cannot read a test's private
    # temporary folder; run them as the caller instead.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log {prefix / "access.log"};
    client_body_temp_path {prefix / "tmp" / "body"};
    proxy_temp_path {prefix / "tmp" / "proxy"};
    fastcgi_temp_path {prefix / "tmp" / "fastcgi"};
    uwsgi_temp_path {prefix / "tmp" / "uwsgi"};
    scgi_temp_path {prefix / "tmp" / "scgi"};
    sendfile on;
    include {include};
}}
"""


@contextmanager
def running_nginx(
    include: Path, prefix: Path, port: int, timeout: float = 10.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start nginx in the foreground on `include`, wait until 127.0.0.1:`port` answers,
    stop it on exit. Raises RuntimeError with nginx's own message if it does not start."""
    import socket

    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx-main.conf"
    conf.write_text(main_conf(include, prefix), encoding="utf-8")
    check = subprocess.run(
        [binary, "-t", "-q", "-c", str(conf), "-p", str(prefix)],
        check=False,
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed: {check.stderr.strip()}")
    proc = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"nginx exited: {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port}") from None
                time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


def local_tls(directory: Path, hosts: list[str], listen: str = "443") -> tuple[Tls, Path]:
    """Certificates for `hosts` from a throwaway CA (trustme), laid out as certbot does
    (<dir>/<host>/fullchain.pem, privkey.pem); returns the Tls setting and the CA's PEM."""
    import trustme

    ca = trustme.CA(organization_name=LOCAL_CA)
    for host in hosts:
        cert = ca.issue_cert(host)
        folder = directory / host
        folder.mkdir(parents=True, exist_ok=True)
        cert.private_key_pem.write_to_path(str(folder / "privkey.pem"))
        with (folder / "fullchain.pem").open("wb") as chain:
            for blob in cert.cert_chain_pems:
                chain.write(blob.bytes())
    ca_pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    return Tls(listen=listen, certificates=directory, acme_root=directory / "acme"), ca_pem
