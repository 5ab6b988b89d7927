"""Writing files safely: atomically (temp file, then rename), with clear errors.

A reader never sees a half-written file: data goes to a temporary file in the
same folder, which is renamed over the target only once complete. A full disk
or an unwritable folder raises an OutputError naming the path and the cause,
and leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile

from simdrive.errors import SimdriveError


class OutputError(SimdriveError):
    """An output file or folder cannot be written."""


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (the folder is not writable)"
    if error.errno == errno.ENOENT:
        return "the folder does not exist"
    return error.strerror or str(error)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; OutputError on failure, nothing left behind.

    The temporary file is ``.<name>.<pid>.tmp`` in the same folder; a process killed
    between writing and renaming leaves it, and dataset runs delete such files when
    they resume.
    """
    write_atomic_together([(path, data)])


def write_atomic_together(files: list[tuple[str | os.PathLike, bytes]]) -> None:
    """Write several files that belong together (an image and its labels): every one to
    its temporary file first, and only when all are written are they renamed into place,
    so a full disk leaves none of them, new or half-written (the old files stay)."""
    if len(files) > 1:  # a rename over a folder, the one that fails on a healthy disk, would
        for path, _ in files:  # leave the files before it written: none is
            if os.path.isdir(path):
                raise OutputError(f"cannot write {os.fspath(path)}: a folder has that name",
                                  where=os.fspath(path), expected="a file name")
    done: list[tuple[str, str]] = []  # (temporary, target) written so far
    target = ""
    try:
        for path, data in files:
            target = os.fspath(path)
            folder, name = os.path.split(target)
            tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
            done.append((tmp, target))
            with open(tmp, "wb") as handle:
                handle.write(data)
        for tmp, target in done:
            os.replace(tmp, target)
    except OSError as error:
        _unlink_all(done)
        if os.path.isdir(target):  # a lone file's target (checked only when it fails)
            raise OutputError(f"cannot write {target}: a folder has that name", where=target,
                              expected="a file name") from None
        raise OutputError(f"cannot write {target}: {_reason(error)}", where=target,
                          expected="a writable folder with free space") from None
    except BaseException:  # interrupted (Ctrl-C): no temporary file either
        _unlink_all(done)
        raise


def _unlink_all(done: list[tuple[str, str]]) -> None:
    for tmp, _ in done:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike):
    """Write a file piece by piece, atomically: yields a binary handle on its temporary
    file (named as write_atomic's), renamed over ``path`` when the block ends; on any error
    the temporary file is deleted (OutputError for a full disk or an unwritable folder)."""
    target = os.fspath(path)
    if os.path.isdir(target):
        raise OutputError(f"cannot write {target}: a folder has that name", where=target,
                          expected="a file name")
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            yield handle
        os.replace(tmp, target)
    except OSError as error:
        _unlink_all([(tmp, target)])
        raise OutputError(f"cannot write {target}: {_reason(error)}", where=target,
                          expected="a writable folder with free space") from None
    except BaseException:
        _unlink_all([(tmp, target)])
        raise


class Spool:
    """Pieces of an output file kept on disk until the file is written (a dataset's COCO
    annotations, its manifest's image lines): an unnamed temporary file in ``folder``,
    which disappears when closed or when the process dies. Write with ``add``, then copy
    into the output with ``copy_to``.

    Where the file system has no unnamed files (O_TMPFILE: NFS, older overlayfs), Python
    names it ``.spool-*.tmp`` and deletes the name at once; a process killed in between
    leaves it, a name the dataset runs' clean-up of temporary files removes."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = os.fspath(folder)
        try:
            # open across calls, closed by close()
            self._file = tempfile.TemporaryFile(  # noqa: SIM115
                dir=self.folder, prefix=".spool-", suffix=".tmp")
        except OSError as error:
            raise OutputError(f"cannot write in {self.folder}: {_reason(error)}",
                              where=self.folder,
                              expected="a writable folder with free space") from None
        self.count = 0

    def add(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as error:
            raise OutputError(f"cannot write in {self.folder}: {_reason(error)}",
                              where=self.folder,
                              expected="a writable folder with free space") from None
        self.count += 1

    def copy_to(self, handle) -> None:
        self._file.flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, handle, 1 << 20)

    def close(self) -> None:
        """Discard the pieces (a failed write's data may still wait in the buffer: closing
        drops it, whatever the disk says)."""
        with contextlib.suppress(OSError):
            self._file.close()
