"""What every storage backend shares: the upload form, the errors, the cache header of immutable objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import ServiceUnavailable

IMMUTABLE = "public, max-age=31536000, immutable"


class StorageUnavailable(ServiceUnavailable):
    """The object storage could not be reached (the job retries; the upload stays where it is)."""

    code = "storage_unavailable"


class ObjectMissing(LookupError):
    """No object under that key."""


@dataclass(frozen=True)
class UploadForm:
    """How the app uploads one file: ``POST`` a multipart form (``fields`` then the file as ``file``) or ``PUT``."""

    method: str
    url: str
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
