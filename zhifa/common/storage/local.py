"""The local-folder backend of the storage port (ADR 0010, 0026, 0027, 0043)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from zhifa.common.files import fsync_dir, temp_copy
from zhifa.common.storage.port import (
    READ_CHUNK,
    SHA256_RE,
    BlobConflict,
    BlobStorage,
    Crc32,
    Part,
    PartsDamaged,
    PartWriter,
    RangeReader,
    Readable,
    SideHasher,
    StorageError,
    check_file_name,
    check_name,
    check_upload,
    hash_stream,
)

DATA_NAME = "data"  # the one file of a resumable upload (ADR 0043)
LOCAL_PART_RE = re.compile(r"^(\d{16})-(\d{16})-crc32-([0-9a-f]{8})$")


class LocalStorage(BlobStorage):
    """Blobs in `root/ab/cd/<sha256>` (read-only files); resumable uploads in `parts_root/upload-<id>/`; work files in
    `files_root` (by default `files` beside `parts_root`)."""

    kind = "local"

    def __init__(self, root: Path, parts_root: Path, files_root: Path | None = None) -> None:
        self.root = Path(root)
        self.parts_root = Path(parts_root)
        self.files_root = Path(files_root) if files_root is not None else self.parts_root.parent / "files"

    def path_for(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def location(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def put(self, sha256: str, source: Path, size: int, *, link: bool = True) -> bool:
        dest = self.path_for(sha256)
        self._make_dirs(dest.parent)
        if not link:
            return self._copy_in(sha256, source, size, dest)
        try:
            os.link(source, dest)
        except FileExistsError:
            self._require_intact(sha256, size)
            return False
        except OSError as exc:
            if exc.errno not in (18, 1, 95):  # EXDEV, EPERM, ENOTSUP: another file system, or no hard links
                raise
            return self._copy_in(sha256, source, size, dest)
        os.chmod(dest, 0o444)
        fsync_dir(dest.parent)
        return True

    def _require_intact(self, sha256: str, size: int) -> None:
        if not self.verify(sha256, size):
            raise BlobConflict(f"blob {sha256} exists but no longer matches its name")

    def _copy_in(self, sha256: str, source: Path, size: int, dest: Path) -> bool:
        """Copy into the destination folder first, fsync, then link: the final name appears only when complete."""
        tmp = temp_copy(source, dest.parent)
        try:
            with open(tmp, "rb") as check:
                if hash_stream(check)[0] != sha256:
                    raise StorageError("copy into the blob folder does not match its hash")
            try:
                os.link(tmp, dest)
            except FileExistsError:
                self._require_intact(sha256, size)
                return False
            os.chmod(dest, 0o444)
            fsync_dir(dest.parent)
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _make_dirs(self, folder: Path) -> None:
        if folder.is_dir():
            return
        for level in (folder.parent.parent, folder.parent, folder):
            if not level.is_dir():
                level.mkdir(parents=True, exist_ok=True)
                fsync_dir(level.parent)

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Readable:
        f = open(self.path_for(sha256), "rb")  # noqa: SIM115 - the caller closes it
        if not start and end is None:
            return f  # a real file: FileResponse then knows its length
        f.seek(start)
        return RangeReader(f, None if end is None else max(end - start, 0))

    def copy_to(self, sha256: str, dest: Path, *, link: bool = False) -> None:
        if link:
            try:
                os.link(self.path_for(sha256), dest)
                return
            except FileNotFoundError:
                raise
            except OSError:  # another file system, or links not allowed: copy
                pass
        super().copy_to(sha256, dest)

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def iterate(self) -> Iterator[tuple[str, str | None]]:
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            rel = Path(dirpath).relative_to(self.root).parts
            for name in sorted(filenames):
                ok = len(rel) == 2 and SHA256_RE.match(name) is not None and rel == (name[:2], name[2:4])
                yield str(Path(dirpath) / name), (name if ok else None)

    # --- parts (ADR 0043): one file per upload, written at each chunk's offset ----------------------------------
    # `parts_root/upload-<id>/data` holds the bytes; each stored chunk leaves an empty marker file named
    # `<start>-<end>-crc32-<crc>` beside it. Writers of one upload take an exclusive flock on its folder, so chunks
    # never interleave. The finish reads `data` once, checks every marker's CRC and computes the SHA-256 from the
    # bytes themselves, and the store hard-links the file into the blob folder: the bytes are written once.
    def _upload_dir(self, upload: str) -> Path:
        return self.parts_root / f"upload-{check_upload(upload)}"

    def _lock(self, upload: str, *, create: bool) -> int:
        """A descriptor of the upload's folder holding its exclusive flock (close it to release). FileNotFoundError
        if the folder does not exist and `create` is false."""
        folder = self._upload_dir(upload)
        for _attempt in range(5):
            if create:
                folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while another request writes or finishes this upload
            if os.fstat(fd).st_nlink:
                return fd
            os.close(fd)  # removed (finished, aborted, swept) while we waited
            if not create:
                raise FileNotFoundError(folder)
        raise StorageError(f"the folder of upload {upload} keeps disappearing")  # pragma: no cover

    def part_writer(self, upload: str, start: int, tmp_dir: Path) -> PartWriter:
        return _LocalPartWriter(self, upload, start)

    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        with open(source, "rb") as f, self.part_writer(upload, start, source.parent) as writer:
            while chunk := f.read(READ_CHUNK):
                writer.write(chunk)
            part = writer.commit()
        return part or Part(start, start, hashlib.sha256().hexdigest())

    def parts(self, upload: str) -> list[Part]:
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            m = LOCAL_PART_RE.match(path.name)
            if m:
                found.append(Part(int(m[1]), int(m[2]), crc32=m[3]))
        return sorted(found, key=lambda p: (p.start, p.end))

    def part_open(self, upload: str, part: Part) -> Readable:
        f = open(self._upload_dir(upload) / DATA_NAME, "rb")  # noqa: SIM115 - the caller closes it
        f.seek(part.start)
        return RangeReader(f, part.end - part.start)

    @contextmanager
    def parts_file(self, upload: str, chain: list[Part], tmp_dir: Path, *extra: Any) -> Iterator[tuple[Path, str]]:
        """The upload's own file, checked in place under the upload's lock (held until the block ends, so no chunk
        can change it while it is checked and linked). Its SHA-256 is the one computed as the chunks arrived when
        they all arrived in order at this process (`_RUNNING`; the CRC check then shows the file still holds those
        bytes), else computed now from the file."""
        try:
            lock = self._lock(upload, create=False)
        except FileNotFoundError as exc:
            raise StorageError(f"the parts of upload {upload} are gone") from exc
        try:
            path = self._upload_dir(upload) / DATA_NAME
            total = chain[-1].end if chain else 0
            with open(path, "rb") as f:  # read-only: after a crash the file may already be a (read-only) blob
                st = os.fstat(f.fileno())
                if st.st_size < total:
                    raise PartsDamaged(f"the file of upload {upload} is shorter than {total} bytes")
                if st.st_size > total:  # bytes a request wrote past the end but never had acknowledged
                    with open(path, "r+b") as cut:
                        cut.truncate(total)
                        os.fdatasync(cut.fileno())
                with _RUNNING_LOCK:
                    known = _RUNNING.get((upload, st.st_dev, st.st_ino))
                if known is not None and known[0] == total:
                    _check_in_place(upload, f, chain, extra)
                    sha256 = known[1].hexdigest()
                else:
                    computed = hashlib.sha256()
                    _check_in_place(upload, f, chain, (*extra, computed))
                    sha256 = computed.hexdigest()
            yield path, sha256
        finally:
            os.close(lock)

    def parts_delete(self, upload: str) -> int:
        _forget(upload)
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return 0
        removed = 0
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
            removed += path.name != DATA_NAME
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
        return removed

    def uploads(self) -> list[str]:
        if not self.parts_root.is_dir():
            return []
        return sorted(p.name[len("upload-"):] for p in self.parts_root.iterdir()
                      if p.is_dir() and p.name.startswith("upload-"))

    # --- work files ----------------------------------------------------------------------------------------------
    def _file_path(self, name: str) -> Path:
        return self.files_root / check_file_name(name)

    def file_put(self, name: str, source: Path) -> int:
        dest = self._file_path(name)
        self.files_root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = temp_copy(source, self.files_root)
        try:
            os.replace(tmp, dest)  # the name appears only when the file is complete
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(self.files_root)
        return dest.stat().st_size

    def file_open(self, name: str) -> Readable:
        return open(self._file_path(name), "rb")  # noqa: SIM115 - the caller closes it

    def file_size(self, name: str) -> int | None:
        try:
            return self._file_path(name).stat().st_size
        except FileNotFoundError:
            return None

    def file_delete(self, name: str) -> bool:
        path = self._file_path(name)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed


def _check_in_place(upload: str, f: BinaryIO, chain: list[Part], whole: tuple[Any, ...]) -> None:
    """Read `f` once from 0: `whole` hashers see every byte in a second thread, while this one checks each part's
    CRC; the file must end where the chain does."""
    side = SideHasher(*whole)
    try:
        at = 0
        for part in chain:
            if part.start != at:
                raise PartsDamaged(f"part {part.name} of upload {upload} is not where the chain expects it")
            check = part.checker()
            while at < part.end:
                chunk = f.read(min(READ_CHUNK, part.end - at))
                if not chunk:
                    raise PartsDamaged(f"the file of upload {upload} ends inside part {part.name}")
                side.update(chunk)
                check.update(chunk)
                at += len(chunk)
            if check.hexdigest() != part.recorded:
                raise PartsDamaged(f"part {part.name} of upload {upload} does not match its checksum")
        side.wait()
    finally:
        side.close()


# The SHA-256 state of an upload's bytes [0, end) after its last acknowledged chunk in this process, so that the next
# chunk continues it and the finish need not hash the file: (upload, st_dev, st_ino of its file) -> (end, state).
# Only acknowledged chunks enter (their bytes are never written again); a chunk at another offset, or after a
# restart, finds no state, and the finish then hashes the file.
_RUNNING: OrderedDict[tuple[str, int, int], tuple[int, Any]] = OrderedDict()
_RUNNING_LOCK = threading.Lock()
_RUNNING_MAX = 256


def _forget(upload: str) -> None:
    with _RUNNING_LOCK:
        for key in [k for k in _RUNNING if k[0] == upload]:
            del _RUNNING[key]


class _LocalPartWriter(PartWriter):
    """Writes a chunk into the upload's one file at its offset, holding the upload's lock until closed. The chunk's
    CRC-32 is computed in a second thread; the upload's running SHA-256, when this process holds it, in this one."""

    def __init__(self, backend: LocalStorage, upload: str, start: int) -> None:
        super().__init__(upload, start)
        self._lock = backend._lock(upload, create=True)
        self._fd: int | None = None
        self._key: tuple[str, int, int] | None = None
        self._sha: Any = None

    def _begin(self) -> Any:
        self._fd = os.open(DATA_NAME, os.O_RDWR | os.O_CREAT, 0o600, dir_fd=self._lock)
        st = os.fstat(self._fd)
        self._key = (self.upload, st.st_dev, st.st_ino)
        if self.start == 0:
            self._sha = hashlib.sha256()
        else:
            with _RUNNING_LOCK:
                known = _RUNNING.get(self._key)
            if known is not None and known[0] == self.start:
                self._sha = known[1].copy()
        return Crc32()

    def write(self, data: bytes) -> None:
        super().write(data)
        if self._sha is not None:
            self._sha.update(data)

    def acknowledge(self) -> None:
        if self._key is None or self._sha is None or not self.written:
            return
        with _RUNNING_LOCK:
            _RUNNING[self._key] = (self.start + self.written, self._sha.copy())
            _RUNNING.move_to_end(self._key)
            while len(_RUNNING) > _RUNNING_MAX:
                _RUNNING.popitem(last=False)

    def _part(self, digest: str) -> Part:
        return Part(self.start, self.start + self.written, crc32=digest)

    def _write_at(self, data: bytes, position: int) -> None:
        assert self._fd is not None
        view = memoryview(data)
        at = self.start + position
        while view:
            n = os.pwrite(self._fd, view, at)
            view, at = view[n:], at + n

    def _store(self, part: Part) -> None:
        assert self._fd is not None
        os.fdatasync(self._fd)  # the bytes, then their marker: a marker never names bytes that are not on disk
        try:
            os.close(os.open(part.name, os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=self._lock))
        except FileNotFoundError as exc:  # the folder was removed (upload aborted) after we locked it
            raise StorageError(f"upload {self.upload} was removed while a chunk was written") from exc
        os.fsync(self._lock)  # the new names (data on the first chunk, the marker) are durable

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._fd is not None:
                os.close(self._fd)
            os.close(self._lock)  # releases the flock
