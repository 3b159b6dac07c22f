"""The local-folder backend of the storage port (ADR 0010, 0026, 0027, 0043)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from zhifa.common.files import fsync_dir, temp_copy
from zhifa.common.storage.port import (
    PART_RE,
    SHA256_RE,
    BlobConflict,
    BlobStorage,
    Part,
    RangeReader,
    Readable,
    StorageError,
    check_file_name,
    check_name,
    check_upload,
    hash_file,
    hash_stream,
)


class LocalStorage(BlobStorage):
    """Blobs in `root/ab/cd/<sha256>` (read-only files); upload parts in `parts_root/<upload>/`; work files in
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

    # --- parts -------------------------------------------------------------------------------------------------
    def _upload_dir(self, upload: str) -> Path:
        return self.parts_root / f"upload-{check_upload(upload)}"

    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        sha, size = hashed or hash_file(source)
        part = Part(start, start + size, sha)
        folder = self._upload_dir(upload)
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / part.name
        try:
            os.link(source, dest)
        except FileExistsError:
            return part  # the same bytes at the same place: stored already
        except OSError:
            tmp = temp_copy(source, folder)
            try:
                os.link(tmp, dest)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        fsync_dir(folder)
        return part

    def parts(self, upload: str) -> list[Part]:
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            m = PART_RE.match(path.name)
            if m:
                found.append(Part(int(m[1]), int(m[2]), m[3]))
        return sorted(found, key=lambda p: (p.start, p.end))

    def part_open(self, upload: str, part: Part) -> Readable:
        return open(self._upload_dir(upload) / part.name, "rb")  # noqa: SIM115 - the caller closes it

    def parts_delete(self, upload: str) -> int:
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return 0
        removed = 0
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
            removed += 1
        folder.rmdir()
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
