"""The S3-compatible backend (AWS S3, MinIO, Yandex Object Storage, SeaweedFS) through aioboto3.

One client per event loop (the web process's, a worker's), made on first use and kept. Connection failures become
:class:`~plugins.media.storage.StorageUnavailable` so the job retries rather than losing the upload.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from plugins.media.objects import IMMUTABLE, ObjectMissing, StorageUnavailable, UploadForm

_clients: dict[tuple[int, tuple[str, ...]], tuple[Any, AsyncExitStack]] = {}


class S3Storage:
    """A bucket of an S3-compatible service."""

    name = "s3"

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str,
                 path_style: bool) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.config = (endpoint, access_key, secret_key, region, "path" if path_style else "virtual")

    async def _client(self) -> Any:
        loop_key = (id(asyncio.get_running_loop()), self.config)
        found = _clients.get(loop_key)
        if found is None:
            import aioboto3
            from botocore.config import Config

            endpoint, access_key, secret_key, region, style = self.config
            stack = AsyncExitStack()
            client = await stack.enter_async_context(aioboto3.Session().client(
                "s3", endpoint_url=endpoint or None, aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None, region_name=region,
                config=Config(signature_version="s3v4", s3={"addressing_style": style}, connect_timeout=3,
                              read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})))
            found = _clients[loop_key] = (client, stack)
        return found[0]

    @asynccontextmanager
    async def _calling(self, key: str) -> AsyncIterator[Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        client = await self._client()
        try:
            yield client
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise ObjectMissing(key) from None
            if code.startswith("5") or code in {"ServiceUnavailable", "SlowDown", "InternalError"}:
                raise StorageUnavailable("object storage error %(error)s", params={"error": code}) from exc
            raise
        except (BotoCoreError, OSError) as exc:  # connection refused, timeouts, DNS
            raise StorageUnavailable("object storage unreachable: %(error)s", params={"error": exc}) from exc

    async def upload_form(self, key: str, content_type: str, max_bytes: int, expires_s: int) -> UploadForm:
        # A POST policy: the server itself refuses another type, another key or more bytes (EntityTooLarge).
        async with self._calling(key) as client:
            post = await client.generate_presigned_post(
                self.bucket, key, Fields={"Content-Type": content_type},
                Conditions=[["content-length-range", 1, max_bytes], {"Content-Type": content_type}],
                ExpiresIn=expires_s)
        return UploadForm("POST", post["url"], fields=dict(post["fields"]))

    async def size(self, key: str) -> int | None:
        try:
            async with self._calling(key) as client:
                head = await client.head_object(Bucket=self.bucket, Key=key)
        except ObjectMissing:
            return None
        return int(head["ContentLength"])

    async def get(self, key: str) -> bytes:
        async with self._calling(key) as client:
            obj = await client.get_object(Bucket=self.bucket, Key=key)
            async with obj["Body"] as body:
                return bytes(await body.read())

    async def put(self, key: str, data: bytes, content_type: str) -> bool:
        if await self.size(key) is not None:
            return False  # content-addressed: what is there is what we would write
        async with self._calling(key) as client:
            await client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                                    CacheControl=IMMUTABLE)
        return True

    async def delete(self, key: str) -> None:
        async with self._calling(key) as client:
            await client.delete_object(Bucket=self.bucket, Key=key)

    async def signed_url(self, key: str, expires_s: int) -> str:
        async with self._calling(key) as client:
            return str(await client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s))


async def close_clients() -> None:
    """Close this loop's clients (app shutdown, worker shutdown)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _clients if k[0] == loop_id]:
        _client, stack = _clients.pop(key)
        await stack.aclose()
