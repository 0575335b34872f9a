"""Videos (poster, limits, location stripped by the re-mux), HEIC and WebP, and the pure processing functions."""

from __future__ import annotations

import io
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from plugins.media import processing, video

GALLERY = "events.gallery"


async def test_a_video_gets_a_poster_and_loses_its_location(api: httpx.AsyncClient, participant: Any,
                                                            published_event: Any, upload: Any, media_files: Any,
                                                            run_jobs: Any) -> None:
    clip = media_files.mp4(1.0, location="+52.5200+013.4050/")
    assert av.open(io.BytesIO(clip)).metadata.get("location")  # the phone's location is in the upload
    item = await upload(api, participant.headers, clip, "video/mp4", target=GALLERY, target_id=published_event.id,
                        sizes=[32])
    await run_jobs()
    got = (await api.get(f"/api/v1/media/items/{item['id']}")).json()
    assert got["status"] == "approved" and got["kind"] == "video"
    assert got["duration_s"] == pytest.approx(1.0, abs=0.2) and (got["width"], got["height"]) == (64, 48)
    assert {"video.mp4", "poster.jpg", "w32.webp", "w32.jpg"} <= set(got["files"])
    served = (await api.get(got["files"]["video.mp4"])).content
    remuxed = av.open(io.BytesIO(served))
    assert "location" not in remuxed.metadata and not any("location" in k for k in remuxed.metadata)
    assert remuxed.streams.video[0].codec_context.name == "h264"
    poster = Image.open(io.BytesIO((await api.get(got["files"]["poster.jpg"])).content))
    assert poster.size == (64, 48)


@pytest.mark.parametrize(("maker", "mime"), [("heic", "image/heic"), ("webp", "image/webp")])
async def test_heic_and_webp_are_accepted(maker: str, mime: str, api: httpx.AsyncClient, participant: Any,
                                          published_event: Any, upload: Any, media_files: Any,
                                          run_jobs: Any) -> None:
    item = await upload(api, participant.headers, getattr(media_files, maker)(), mime, target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    got = (await api.get(f"/api/v1/media/items/{item['id']}")).json()
    assert (got["status"], got["mime"], got["width"]) == ("approved", mime, 64)


def test_sniff_reads_magic_numbers_not_names(media_files: Any) -> None:
    assert processing.sniff(media_files.png()).mime == "image/png"
    assert processing.sniff(media_files.jpeg()).mime == "image/jpeg"
    assert processing.sniff(media_files.mp4(0.3)).kind == "video"
    assert processing.sniff(media_files.heic()).mime == "image/heic"
    mov = media_files.mp4(0.5, container="mov")
    assert processing.sniff(mov).mime == "video/quicktime"
    limits = video.VideoLimits(60, 1920 * 1088, ("h264",))
    clean = video.process_video(mov, limits, processing.ImageOptions(sizes=(32,)))
    assert clean.codecs == "h264" and clean.video.fmt == "mp4" and clean.poster.width == 64  # a MOV in, an MP4 out
    for bad in (media_files.html(), b"GIF89a....", b"%PDF-1.7", b""):
        with pytest.raises(processing.Refused) as refused:
            processing.sniff(bad)
        assert refused.value.code == "unsupported_type"


def test_renditions_thumbnails_placeholders_and_hash(media_files: Any) -> None:
    data = media_files.jpeg(400, 300, gps=True, orientation=6, pattern=10)
    result = processing.process_image(data, processing.ImageOptions(sizes=(100, 200), original_long_side=350))
    names = [(r.name, r.fmt, r.width, r.height) for r in result.renditions]
    assert names == [("full", "jpg", 262, 350), ("w200", "webp", 150, 200), ("w200", "jpg", 150, 200),
                     ("w100", "webp", 75, 100), ("w100", "jpg", 75, 100)]
    assert len(result.blurhash) > 6 and result.color.startswith("#")
    for r in result.renditions:
        assert not Image.open(io.BytesIO(r.data)).getexif()
    near = processing.process_image(media_files.jpeg(400, 300, orientation=6, pattern=10, color=(205, 82, 40)),
                                    processing.ImageOptions(sizes=(100,)))
    other = processing.process_image(media_files.jpeg(400, 300, pattern=40, color=(20, 200, 240)),
                                     processing.ImageOptions(sizes=(100,)))
    assert processing.hamming(result.phash, near.phash) <= 4 < processing.hamming(result.phash, other.phash)


def test_pixel_limit_is_ours_not_pillows_double(media_files: Any) -> None:
    with pytest.raises(processing.Refused) as refused:  # 1.5x the limit: Pillow alone would only warn
        processing.process_image(media_files.jpeg(150, 100), processing.ImageOptions(sizes=(32,), max_pixels=10_000))
    assert refused.value.code == "image_too_large"
