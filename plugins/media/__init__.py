"""Media: photos and videos from events (galleries, covers, review photos), screened, moderated, in S3 or on disk."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from core.manifest import Manifest, Secret

Size = Annotated[int, msgspec.Meta(ge=32, le=4096)]


class MediaSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the media plugin, from ``[settings.media]`` in plugins.toml (or ``SBOR_PLUGINS__MEDIA__<KEY>``)."""

    backend: Literal["local", "s3"] = "local"
    """``local``: files under ``var/media/`` served by the app; ``s3``: any S3-compatible object storage."""
    local_dir: str = ""
    """The local backend's directory (default ``<var>/media``)."""
    s3_endpoint: str = ""
    """The S3 endpoint URL (``https://storage.yandexcloud.net``); empty with ``backend = "s3"``: an embedded
    SeaweedFS is started under ``var/seaweedfs`` by ``manage.py run``."""
    s3_region: str = "us-east-1"
    s3_bucket: str = "sbor-media"
    s3_access_key: Secret = ""
    s3_secret_key: Secret = ""
    s3_path_style: bool = True
    """Path-style addressing (MinIO, SeaweedFS); false for virtual-hosted buckets (AWS)."""
    cdn_base_url: str = ""
    """Public objects are served from ``<cdn_base_url>/<key>`` (immutable, content-addressed); empty: presigned GETs."""
    url_ttl_s: Annotated[int, msgspec.Meta(ge=60, le=7 * 86_400)] = 3_600
    """How long a presigned GET of a public item stays valid."""
    private_url_ttl_s: Annotated[int, msgspec.Meta(ge=30, le=3_600)] = 300
    """How long a presigned GET of a private item (a group's event) stays valid; never through the CDN."""
    upload_ttl_s: Annotated[int, msgspec.Meta(ge=60, le=3_600)] = 900
    """How long a presigned upload stays valid."""
    photo_max_bytes: Annotated[int, msgspec.Meta(ge=1_024)] = 25 * 1024 * 1024
    photo_max_pixels: Annotated[int, msgspec.Meta(ge=10_000)] = 50_000_000
    """Above this many pixels an image is refused as a decompression bomb (an error, never a crash)."""
    video_max_bytes: Annotated[int, msgspec.Meta(ge=1_024)] = 200 * 1024 * 1024
    video_max_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    video_max_pixels: Annotated[int, msgspec.Meta(ge=10_000)] = 1920 * 1088
    video_codecs: list[str] = msgspec.field(default_factory=lambda: ["h264", "hevc", "vp9", "av1", "mpeg4"])
    thumbnail_sizes: list[Size] = msgspec.field(default_factory=lambda: [320, 960, 1920])
    """The long-side sizes made when the app asks for none; the app may ask for at most four of its own."""
    original_long_side: Size = 4096
    """The served original is re-encoded at most this long on its long side."""
    jpeg_quality: Annotated[int, msgspec.Meta(ge=30, le=95)] = 82
    webp_quality: Annotated[int, msgspec.Meta(ge=30, le=95)] = 78
    per_user_per_day: Annotated[int, msgspec.Meta(ge=1)] = 200
    per_event: Annotated[int, msgspec.Meta(ge=1)] = 2_000
    """The most items (not rejected or deleted) one event's gallery holds."""
    per_user_per_event: Annotated[int, msgspec.Meta(ge=1)] = 100
    moderate_all: bool = False
    """Every upload waits for a moderator, not only those a screener holds back."""
    duplicate_distance: Annotated[int, msgspec.Meta(ge=0, le=20)] = 6
    """Perceptual hashes this close (Hamming distance of 64 bits) to a rejected item's are held as its duplicate."""


manifest = Manifest(
    name="media",
    version="0.1.0",
    summary="Photos and videos: direct uploads to storage, processing, screening, moderation, galleries, a CDN",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=MediaSettings,
    public_settings=("thumbnail_sizes", "photo_max_bytes", "video_max_bytes", "video_max_seconds"),
)
