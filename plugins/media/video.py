"""Videos through PyAV (FFmpeg's libraries in the wheel): probe, refuse over the limits, poster frame, clean re-mux.

The re-mux copies the audio and video packets into a fresh MP4 without the container's or the streams' metadata,
so a phone's location (``©xyz``/``location``), device and creation tags never reach a viewer; nothing is re-encoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import av
from PIL import Image

from plugins.media.processing import ImageOptions, ImageResult, Refused, Rendition, render

AUDIO_CODECS = {"aac", "mp3", "opus", "alac", "ac3", "eac3", "pcm_s16le"}


@dataclass(frozen=True)
class VideoLimits:
    """The operator's limits for one video."""

    max_seconds: float
    max_pixels: int
    codecs: tuple[str, ...]


@dataclass(frozen=True)
class VideoResult:
    """A processed video: the clean MP4, what it is, and the poster's renditions and placeholders."""

    duration_s: float
    width: int
    height: int
    codecs: str
    video: Rendition = field(repr=False)
    poster: ImageResult = field(repr=False)


def _open(data: bytes) -> av.container.InputContainer:
    try:
        return av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError) as exc:
        raise Refused("corrupt_file", f"The video cannot be read: {exc}") from None


def process_video(data: bytes, limits: VideoLimits, options: ImageOptions) -> VideoResult:
    """Probe and check the video, take a poster frame, and re-mux it without metadata."""
    with _open(data) as container:
        if not container.streams.video:
            raise Refused("corrupt_file", "The file has no video stream.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        codec = ctx.name
        width, height = ctx.width, ctx.height
        duration = (container.duration or 0) / av.time_base
        if not duration and stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        if duration <= 0:
            raise Refused("corrupt_file", "The video's duration cannot be read.")
        if duration > limits.max_seconds:
            raise Refused("video_too_long", f"{duration:.1f} s is over the limit of {limits.max_seconds:g} s.")
        if width * height > limits.max_pixels:
            raise Refused("video_too_large", f"{width}x{height} is over the limit of {limits.max_pixels} pixels.")
        if codec not in limits.codecs:
            raise Refused("unsupported_codec", f"Video codec {codec} is not accepted.")
        audio = [s for s in container.streams.audio if s.codec_context.name in AUDIO_CODECS][:1]
        poster = _poster(container, stream)
        container.seek(0)
        clean = _remux(container, [stream, *audio])
    codecs = "+".join([codec, *(a.codec_context.name for a in audio)])
    return VideoResult(duration, width, height, codecs, Rendition("video", "mp4", width, height, clean),
                       render(poster, options))


def _poster(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Image.Image:
    try:
        for frame in container.decode(stream):
            image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
            return image.convert("RGB")  # the first frame: displayed upright by the decoder's rotation
    except av.FFmpegError as exc:
        raise Refused("corrupt_file", f"The video cannot be decoded: {exc}") from None
    raise Refused("corrupt_file", "The video has no frame.")


def _remux(container: av.container.InputContainer, streams: list[av.stream.Stream]) -> bytes:
    out_buf = io.BytesIO()
    with av.open(out_buf, mode="w", format="mp4") as out:
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for o in mapping.values():
            o.metadata.clear()
        try:
            for packet in container.demux(streams):
                if packet.dts is None or packet.stream.index not in mapping:
                    continue
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
        except av.FFmpegError as exc:
            raise Refused("corrupt_file", f"The video is damaged: {exc}") from None
    return out_buf.getvalue()
