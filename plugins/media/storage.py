"""Where media objects live: a small protocol, content-addressed keys, and the local-files backend.

Two backends implement :class:`Storage`: :class:`LocalStorage` (files under ``var/media/``, uploads and downloads
through the app with signed tokens) and ``s3.S3Storage`` (any S3-compatible service: presigned POST policies and
GETs). Objects are never overwritten: :meth:`Storage.put` keeps an existing object and says so.

Keys: uploads land at ``uploads/<token>`` until processed; results live at ``<scope>/<hh>/<sha256>/<name>.<ext>``,
where the hash is the uploaded file's, ``<name>.<ext>`` the transformation (``full.jpg``, ``w320.webp``,
``poster.jpg``, ``video.mp4``) and ``<scope>`` is ``pub`` (may go through the CDN) or ``priv`` (members-only events:
presigned, short-lived, never the CDN).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import msgspec

from core import clock
from core.settings import get_settings
from plugins.media.objects import IMMUTABLE, ObjectMissing, StorageUnavailable, UploadForm

__all__ = ["IMMUTABLE", "LocalStorage", "ObjectMissing", "Storage", "StorageUnavailable", "UploadForm",
           "from_settings", "object_key", "public_url", "sign", "verify"]


class Storage(Protocol):
    """An object store media writes to and serves from."""

    name: str

    async def upload_form(self, key: str, content_type: str, max_bytes: int, expires_s: int) -> UploadForm:
        """A presigned upload of at most ``max_bytes`` with exactly ``content_type`` to ``key``."""

    async def size(self, key: str) -> int | None:
        """The object's size in bytes, None when it does not exist."""

    async def get(self, key: str) -> bytes:
        """The object's bytes (ObjectMissing when absent)."""

    async def put(self, key: str, data: bytes, content_type: str) -> bool:
        """Store ``data`` under ``key`` unless an object is there already; True when written."""

    async def delete(self, key: str) -> None:
        """Remove the object (absent is fine)."""

    async def signed_url(self, key: str, expires_s: int) -> str:
        """A URL that reads the object until it expires."""


def object_key(private: bool, content_hash: str, name: str, ext: str) -> str:
    """The key of a derived file: ``pub/ab/<hash>/w320.webp``."""
    return f"{'priv' if private else 'pub'}/{content_hash[:2]}/{content_hash}/{name}.{ext}"


def public_url(cdn_base_url: str, key: str) -> str:
    """The CDN URL of a public object."""
    return f"{cdn_base_url.rstrip('/')}/{quote(key)}"


# ---------------------------------------------------------------------------------------------------------------------
# Local files: the embedded default. The app receives uploads (PUT with a signed token) and serves downloads.
# ---------------------------------------------------------------------------------------------------------------------


class LocalToken(msgspec.Struct, array_like=True):
    """What an upload or download token allows: the key, until when, and for uploads the type and size limit."""

    key: str
    exp: int
    content_type: str = ""
    max_bytes: int = 0


def _secret() -> bytes:
    auth = get_settings().auth
    return hashlib.sha256(b"sbor-media\0" + auth.jwt_keys.get(auth.jwt_current_kid, "").encode()).digest()


def sign(token: LocalToken) -> str:
    """``<payload>.<mac>``, URL-safe."""
    payload = base64.urlsafe_b64encode(msgspec.json.encode(token)).rstrip(b"=")
    mac = base64.urlsafe_b64encode(hmac.new(_secret(), payload, hashlib.sha256).digest()[:18]).rstrip(b"=")
    return f"{payload.decode()}.{mac.decode()}"


def verify(raw: str, now: float | None = None) -> LocalToken | None:
    """The token's content when it is ours and not expired, else None."""
    payload, _, mac = raw.partition(".")
    good = base64.urlsafe_b64encode(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest()[:18]).rstrip(b"=")
    if not mac or not hmac.compare_digest(mac.encode(), good):
        return None
    try:
        token = msgspec.json.decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), type=LocalToken)
    except (ValueError, msgspec.DecodeError):
        return None
    return token if token.exp >= (now if now is not None else clock.timestamp()) else None


class LocalStorage:
    """Files under a directory; the app is the upload endpoint and the file server (``/media/files/<key>``)."""

    name = "local"

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        """The file of ``key`` (keys never climb out of the root)."""
        if not key or ".." in key.split("/") or key.startswith("/"):
            raise ObjectMissing(key)
        return self.root / key

    async def upload_form(self, key: str, content_type: str, max_bytes: int, expires_s: int) -> UploadForm:
        token = sign(LocalToken(key, int(clock.timestamp()) + expires_s, content_type, max_bytes))
        return UploadForm("PUT", f"{self.base_url}/api/v1/media/local-uploads/{token}",
                          headers={"Content-Type": content_type})

    async def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except (FileNotFoundError, ObjectMissing):
            return None

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    async def put(self, key: str, data: bytes, content_type: str) -> bool:
        return await asyncio.to_thread(self._put, self.path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> bool:
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        try:
            os.link(tmp, path)  # fails if another writer got there first: never overwrite
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    async def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except ObjectMissing:
            pass

    async def signed_url(self, key: str, expires_s: int) -> str:
        token = sign(LocalToken(key, int(clock.timestamp()) + expires_s))
        return f"{self.base_url}/media/files/{quote(key)}?t={token}"


def from_settings() -> Storage:
    """The backend the media settings choose (one instance per settings; S3 clients are kept per event loop)."""
    from core.hooks import plugin_settings
    from plugins.media import MediaSettings

    s = plugin_settings(MediaSettings)
    if s.backend == "s3":
        from plugins.media.s3 import S3Storage

        return S3Storage(s.s3_endpoint, s.s3_bucket, s.s3_access_key, s.s3_secret_key, s.s3_region, s.s3_path_style)
    settings = get_settings()
    root = Path(s.local_dir) if s.local_dir else settings.var_path / "media"
    return LocalStorage(root, settings.http.public_url)
