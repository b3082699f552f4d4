"""A real SPARQL server over the build: the Oxigraph server from PyPI (``oxigraph``).

The build's N-Quads are bulk-loaded into a fresh on-disk store in a temporary folder, then
``oxigraph serve-read-only`` (or ``serve`` with ``writable``) answers on 127.0.0.1 with the union
of the named graphs as the default graph, as the embedded store does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from kg.problems import UsageError
from kg.store import BUILD_FILES


def oxigraph_binary() -> str:
    """Path of the ``oxigraph`` command installed by the ``oxigraph`` PyPI package.

    Raises:
        UsageError: the package is not installed.
    """
    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=sysconfig.get_path("scripts"))
    if not found:
        raise UsageError("the Oxigraph server is not installed (pip install oxigraph)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """Start with :meth:`start`, stop with :meth:`stop`, or use as a context manager."""

    def __init__(self, build_folder: Path, port: int | None = None, writable: bool = False):
        self.build_folder = build_folder
        self.port = port or free_port()
        self.writable = writable
        self.process: subprocess.Popen | None = None
        self.location: Path | None = None

    @property
    def url(self) -> str:
        """The SPARQL query endpoint."""
        return f"http://127.0.0.1:{self.port}/query"

    def start(self, timeout: float = 15.0) -> OxigraphServer:
        """Load the build and start the server; return when it answers.

        Raises:
            UsageError: loading failed, the port is taken, or the server did not come up.
        """
        exe = oxigraph_binary()
        self.location = Path(tempfile.mkdtemp(prefix="aigeo-oxigraph-"))
        files = [arg for name in BUILD_FILES for arg in ("--file", str(self.build_folder / name))]
        load = subprocess.run(
            [exe, "load", "--location", str(self.location), *files],
            capture_output=True,
            text=True,
        )
        if load.returncode != 0:
            self.stop()
            raise UsageError(f"oxigraph load failed: {load.stderr.strip().splitlines()[-1:]}")
        mode = "serve" if self.writable else "serve-read-only"
        self.process = subprocess.Popen(
            [
                exe,
                mode,
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        probe = self.url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode("utf-8", "replace").strip()
                    if self.process.stderr
                    else ""
                )
                self.stop()
                raise UsageError(
                    f"the Oxigraph server exited: {err.splitlines()[-1] if err else 'no message'}"
                )
            try:
                with urllib.request.urlopen(probe, timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise UsageError(f"the Oxigraph server did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server and remove its store."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.location is not None:
            shutil.rmtree(self.location, ignore_errors=True)
            self.location = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(build_folder: Path, port: int | None, writable: bool) -> None:
    """Run the server until interrupted, printing its URL."""
    with OxigraphServer(build_folder, port, writable) as server:
        mode = "read-write" if writable else "read-only"
        print(f"SPARQL endpoint ({mode}): {server.url}", flush=True)
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
