"""Where batch reports are written: one small interface, a folder by default.

A key is a relative path with ``/`` separators (``batch-12/liftclinic-report-7-20261203.pdf``):
the same key names the same file on every machine that shares the store, so a worker on
another machine can take over an item and find what a dead one already wrote.

``put`` never replaces a stored file: a report file is what its audit event's SHA-256 vouches
for, so the first complete write of a key wins and a slow worker that finishes second is told
so (``False``) instead of overwriting what was audited.

**An S3-compatible store (an option, not implemented):** a class with the same three methods
over boto3 or minio (MinIO, Ceph RGW, Garage, AWS S3): ``put`` as ``PutObject`` with
``If-None-Match: *`` (a conditional write: a 412 answer means the key exists, return False;
S3 and MinIO support it), ``exists`` as ``HeadObject``, ``open`` as ``GetObject``'s body. Turn on
bucket encryption (SSE-S3 or SSE-KMS), keep the bucket private (no public ACL, no presigned
links longer than minutes), and give the workers' credentials ``PutObject``/``GetObject``
on the reports prefix only. Chosen by configuration (e.g. ``REPORTS_STORE=s3://bucket/prefix``
in :func:`default_storage`); every caller uses only the protocol below.
"""

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """What a report store offers the batch export."""

    def put(self, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key`` whole or not at all; False if ``key`` was stored
        already (nothing replaced)."""

    def exists(self, key: str) -> bool:
        """True once a complete file is stored under ``key``."""

    def open(self, key: str) -> BinaryIO:
        """The stored file for reading (the caller closes it)."""


class FolderStorage:
    """Files under one folder (``REPORTS_DIR``): written to a temporary file in the target
    folder, flushed to disk, then linked into place, so a reader (or a crash) never sees half
    a file and an existing file is never replaced."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, key):
        """The file of ``key``; refuses keys that would leave the folder."""
        parts = PurePosixPath(key).parts
        if not parts or PurePosixPath(key).is_absolute() or any(
                part in ("..", ".", "") for part in parts):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key, data):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            try:
                # link, not rename: atomic as rename is, but it fails instead of replacing.
                os.link(temporary, target)
            except FileExistsError:
                if target.is_dir():
                    raise IsADirectoryError(f"a folder is in the way of {key}") from None
                return False
            return True
        finally:
            os.unlink(temporary)

    def exists(self, key):
        return self.path(key).is_file()

    def open(self, key):
        return self.path(key).open("rb")

    def __repr__(self):
        return f"FolderStorage({str(self.root)!r})"


def default_storage(app=None):
    """The configured store: the folder ``REPORTS_DIR``."""
    from flask import current_app

    return FolderStorage((app or current_app).config["REPORTS_DIR"])
