"""pytest fixtures for media's tests and other plugins' (``pytest_plugins = ["plugins.media.testing"]``).

* ``seaweedfs`` (session): a real SeaweedFS S3 server (``weed mini``) on loopback, started the first time a test
  asks for it and stopped at the end of the session; ``.settings()`` is a ``[settings.media]`` table pointing at it,
  ``.stop()``/``.start()`` simulate an outage (same ports, same data). The embedded default is the local backend,
  so the test session does not start SeaweedFS for everybody through ``register_embedded_servers``: only the
  sessions that run an S3 test pay its second and its memory.
* ``media_files``: makers of small real files (JPEG with EXIF orientation and GPS, PNG, WebP, HEIC, MP4 with a
  location, a decompression-bomb PNG header, a truncated JPEG, an HTML page).
* ``upload``: ``await upload(client, headers, data, content_type, target=..., target_id=...)`` requests the upload,
  sends the file the way the answer says (POST policy to S3 or PUT to the app), and confirms; returns the item.
"""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plugins.media import seaweed


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[seaweed.SeaweedFS]:
    """A SeaweedFS S3 server for this session (see the module's docstring)."""
    directory = Path(tempfile.mkdtemp(prefix="sbor-seaweedfs-"))
    server = seaweed.new_server(directory)
    server.start()
    yield server
    server.crash()  # its data is thrown away: no need to wait for a clean stop
    shutil.rmtree(directory, ignore_errors=True)


class MediaFiles:
    """Small real files for upload tests (each method returns bytes)."""

    @staticmethod
    def jpeg(width: int = 64, height: int = 48, *, gps: bool = False, orientation: int | None = None,
             color: tuple[int, int, int] = (200, 80, 40), pattern: int = 0) -> bytes:
        """A JPEG; ``gps`` adds a GPS IFD (Berlin) and a camera model; ``orientation`` the EXIF tag."""
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (width, height), color)
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, width // 3, height // 2), fill=(20, 20, 20))  # marks the top-left corner
        for i in range(pattern):
            draw.line((i * 7 % width, 0, width - 1, i * 13 % height), fill=(i * 40 % 255, 255 - i * 30 % 255, 90))
        exif = Image.Exif()
        if orientation is not None:
            exif[0x0112] = orientation
        if gps:
            exif[0x0110] = "Secret Phone 12"
            exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)}
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90, exif=exif.tobytes())
        return out.getvalue()

    @staticmethod
    def png(width: int = 64, height: int = 48, alpha: bool = False) -> bytes:
        """A PNG (with an alpha channel when asked)."""
        from PIL import Image

        img = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 200, 128) if alpha else (10, 120, 200))
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()

    @staticmethod
    def webp(width: int = 64, height: int = 48) -> bytes:
        """A WebP."""
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (width, height), (30, 160, 60)).save(out, "WEBP")
        return out.getvalue()

    @staticmethod
    def heic(width: int = 64, height: int = 48) -> bytes:
        """A HEIC, as an iPhone makes."""
        import pillow_heif
        from PIL import Image

        pillow_heif.register_heif_opener()
        out = io.BytesIO()
        Image.new("RGB", (width, height), (90, 60, 160)).save(out, "HEIF")
        return out.getvalue()

    @staticmethod
    def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
        """A PNG of a few hundred bytes whose header claims ``width`` x ``height`` pixels."""
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
        rows = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # the first rows; the rest would be zeros too
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")

    @staticmethod
    def truncated_jpeg() -> bytes:
        """A JPEG cut in the middle of its image data."""
        data = MediaFiles.jpeg(320, 240, pattern=30)
        return data[: len(data) // 2]

    @staticmethod
    def html() -> bytes:
        """An HTML page (sent with an image content type by an attacker)."""
        return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

    @staticmethod
    def mp4(seconds: float = 2.0, *, location: str | None = "+52.5200+013.4050/", fps: int = 10,
            size: tuple[int, int] = (64, 48), container: str = "mp4") -> bytes:
        """An H.264 MP4 (or ``container="mov"``, as iPhones make) with a location unless ``location=None``."""
        import av
        from PIL import Image

        out_buf = io.BytesIO()
        with av.open(out_buf, "w", format=container) as out:
            if location:
                out.metadata["location"] = location
            stream = out.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            for i in range(int(seconds * fps)):
                frame = av.VideoFrame.from_image(Image.new("RGB", size, (i * 9 % 255, 100, 50)))  # type: ignore[no-untyped-call]
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return out_buf.getvalue()


@pytest.fixture
def media_files() -> type[MediaFiles]:
    """The file makers (:class:`MediaFiles`)."""
    return MediaFiles


async def send_file(client: httpx.AsyncClient, form: dict[str, Any], data: bytes, content_type: str) -> httpx.Response:
    """Send ``data`` the way an upload form says: a POST policy to S3 (a real HTTP request) or a PUT to the app."""
    if form["method"] == "POST":
        async with httpx.AsyncClient() as s3:
            return await s3.post(form["url"], data=form["fields"], files={"file": ("upload", data, content_type)})
    return await client.put(form["url"], content=data, headers=form["headers"])


@pytest.fixture
def upload() -> Callable[..., Awaitable[dict[str, Any]]]:
    """``item = await upload(client, headers, data, "image/jpeg", target="events.gallery", target_id=1)``.

    Requests, sends and confirms (``confirm=False`` stops after sending); returns the item's JSON (after confirming:
    ``processing``). Fails the test on any unexpected status.
    """

    async def factory(client: httpx.AsyncClient, headers: dict[str, str], data: bytes, content_type: str, *,
                      target: str, target_id: int, size: int | None = None, sizes: list[int] | None = None,
                      confirm: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"content_type": content_type, "size": size or len(data), "target": target,
                                "target_id": target_id}
        if sizes:
            body["sizes"] = sizes
        r = await client.post("/api/v1/media/uploads", json=body, headers=headers)
        assert r.status_code == 201, r.text
        created = r.json()
        sent = await send_file(client, created["upload"], data, content_type)
        assert sent.status_code in (200, 201, 204), sent.text
        if not confirm:
            return created["item"]  # type: ignore[no-any-return]
        r = await client.post(f"/api/v1/media/items/{created['item']['id']}/confirm", headers=headers)
        assert r.status_code == 202, r.text
        return r.json()  # type: ignore[no-any-return]

    return factory
