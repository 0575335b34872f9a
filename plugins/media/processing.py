"""Pure processing of uploaded bytes: the real type from magic numbers, images re-encoded clean, placeholders, dHash.

No database and no storage here: the job (``pipeline.py``) reads the upload, calls these, and writes the results;
the benchmark calls them the same way. Every refusal is a :class:`Refused` with a stable ``code``.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import blurhash

# pillow-heif teaches Pillow to open HEIC/HEIF (iPhones); registered once, here, where images are opened.
import pillow_heif
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()
# Between one and two times ``MAX_IMAGE_PIXELS`` Pillow only warns: make that an error too (caught as a refusal).
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
SCREEN_SIDE = 512
"""The long side of the preview handed to screeners (``media_screened``)."""


class Refused(Exception):
    """The upload is not acceptable; ``code`` is stable (``unsupported_type``, ``image_too_large``…)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Detected:
    """What the bytes are: ``kind`` photo or video, the real MIME type and the usual extension."""

    kind: str
    mime: str
    ext: str


def sniff(head: bytes) -> Detected:
    """The real type from the first bytes (magic numbers); Refused ``unsupported_type`` for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return Detected("photo", "image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detected("photo", "image/png", "png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Detected("photo", "image/webp", "webp")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return Detected("photo", "image/heic", "heic")
        if brand == b"qt  ":
            return Detected("video", "video/quicktime", "mov")
        if brand[:3] in {b"iso", b"mp4", b"avc", b"M4V", b"MSN", b"das"} or brand == b"mmp4":
            return Detected("video", "video/mp4", "mp4")
    if head[4:8] in QUICKTIME_ATOMS:
        return Detected("video", "video/quicktime", "mov")
    raise Refused("unsupported_type", "Not a JPEG, PNG, WebP, HEIC/HEIF, MP4 or MOV file (judged by its content).")


@dataclass(frozen=True)
class Rendition:
    """One derived file: ``name`` (``full``, ``w320``, ``poster``), format and its encoded bytes."""

    name: str
    fmt: str  # jpg | webp | mp4
    width: int
    height: int
    data: bytes = field(repr=False)

    @property
    def mime(self) -> str:
        """The file's content type."""
        return {"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}[self.fmt]


@dataclass(frozen=True)
class ImageResult:
    """A processed image: its renditions, size, placeholders, perceptual hash and a preview for screeners."""

    width: int
    height: int
    renditions: list[Rendition]
    blurhash: str
    color: str
    phash: int
    preview_jpeg: bytes = field(repr=False)


@dataclass(frozen=True)
class ImageOptions:
    """How to render: long-side sizes of the thumbnails, the original's cap, qualities, the pixel limit."""

    sizes: tuple[int, ...]
    original_long_side: int = 4096
    jpeg_quality: int = 82
    webp_quality: int = 78
    max_pixels: int = 50_000_000


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open and decode an image, refusing bombs before decoding and corrupt or truncated files after."""
    # Pillow's own guard errs only above twice the limit (a warning between): set it, and check the header ourselves.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        img = Image.open(io.BytesIO(data))
        width, height = img.size
        if width * height > max_pixels:
            raise Refused("image_too_large", f"{width}x{height} pixels is over the limit of {max_pixels}.")
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own checks may come first
        raise Refused("image_too_large", f"The image has more pixels than the limit of {max_pixels}.") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated, corrupt, unreadable
        raise Refused("corrupt_file", f"The image cannot be read: {exc}") from None
    return img


def upright_rgb(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, then flatten to RGB (transparency on white); the result carries no metadata."""
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return img


def scaled(img: Image.Image, long_side: int) -> Image.Image:
    """``img`` with its long side at most ``long_side`` (never enlarged)."""
    w, h = img.size
    if max(w, h) <= long_side:
        return img
    ratio = long_side / max(w, h)
    return img.resize((max(1, round(w * ratio)), max(1, round(h * ratio))), Image.Resampling.LANCZOS,
                      reducing_gap=3.0)


def encode(img: Image.Image, fmt: str, quality: int, icc: bytes | None = None) -> bytes:
    """Encode without any metadata (no EXIF, no GPS, no XMP; only the colour profile)."""
    out = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "jpg":
        img.save(out, "JPEG", quality=quality, optimize=False, progressive=True, **extra)
    else:
        img.save(out, "WEBP", quality=quality, method=4, **extra)
    return out.getvalue()


def dhash(img: Image.Image) -> int:
    """The 64-bit difference hash (a perceptual hash) as a signed int64: near-identical pictures differ in few bits."""
    small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = small.load()
    assert px is not None
    value = 0
    for y in range(8):
        for x in range(8):
            value = (value << 1) | (1 if px[x, y] > px[x + 1, y] else 0)  # type: ignore[operator]
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def placeholders(img: Image.Image) -> tuple[str, str]:
    """A blurhash (4 by 3 components) and the average colour (``#rrggbb``), from a tiny copy."""
    width = 24
    tiny = img.resize((width, max(1, round(width * img.height / img.width))), Image.Resampling.BILINEAR)
    raw = tiny.tobytes()  # RGB, row by row: blurhash reads image[y][x][channel]
    rows = [[raw[(y * width + x) * 3:(y * width + x) * 3 + 3] for x in range(width)] for y in range(tiny.height)]
    r, g, b = tiny.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return blurhash.encode(rows, components_x=4, components_y=3), f"#{r:02x}{g:02x}{b:02x}"


def render(img: Image.Image, options: ImageOptions, icc: bytes | None = None) -> ImageResult:
    """Renditions of an upright RGB image: ``full`` (JPEG) and each size in WebP and JPEG, with placeholders."""
    full = scaled(img, options.original_long_side)
    renditions = [Rendition("full", "jpg", *full.size, encode(full, "jpg", options.jpeg_quality, icc))]
    source = full
    for size in sorted(set(options.sizes), reverse=True):  # each from the previous: cheaper, same quality
        source = scaled(source, size)
        for fmt in ("webp", "jpg"):
            quality = options.webp_quality if fmt == "webp" else options.jpeg_quality
            renditions.append(Rendition(f"w{size}", fmt, *source.size, encode(source, fmt, quality, icc)))
    preview = scaled(source, SCREEN_SIDE)
    hash_, color = placeholders(preview)
    return ImageResult(full.width, full.height, renditions, hash_, color, dhash(preview),
                       encode(preview, "jpg", 80))


def process_image(data: bytes, options: ImageOptions) -> ImageResult:
    """Decode (refusing bombs and corrupt files), orient, strip, and render an uploaded image."""
    img = open_image(data, options.max_pixels)
    icc = img.info.get("icc_profile")
    return render(upright_rgb(img), options, icc if isinstance(icc, bytes) else None)
