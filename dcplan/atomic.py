"""Writing output files: whole or not at all, through links, and never replacing what is not a file.

`write_output(path, text)` is what every `-o FILE` (and `--save-model FILE`) goes through:

- a regular file, or a new one, is written atomically: a temporary file in the same directory,
  flushed to disk, then renamed over the target, so a reader sees the old file or the whole new one;
  an existing file keeps its permission bits, a new one gets the umask's (as `>` in a shell would);
- a symbolic link is written through to its target, and stays a link;
- anything else (a FIFO, a character device such as /dev/stdout or /dev/null, a socket) is streamed
  into, never renamed over: replacing /dev/null with a regular file breaks the machine.

Errors are OSErrors that name the user's path (never the temporary file's).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_output(path: str | Path, text: str) -> None:
    """Write `text` to `path` as described above; raise OSError naming `path` on failure."""
    shown = str(path)
    target = Path(os.path.realpath(path))  # through symbolic links, to the file they name
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as err:
        raise _naming(err, shown) from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(21, "is a directory", shown)
    if status is not None and not stat.S_ISREG(status.st_mode):
        _stream(target, text, shown)
        return
    mode = stat.S_IMODE(status.st_mode) if status is not None else _new_file_mode()
    try:
        write_atomic(target, text, mode)
    except OSError as err:
        raise _naming(err, shown) from None


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over `path` (a regular file).
    `mode`: the permission bits the file ends with (default: the umask's for a new file)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), _new_file_mode() if mode is None else mode)
        os.replace(tmp_name, path)
    except BaseException:
        # Interrupted or failed: remove the temporary so nothing half-written remains.
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def _stream(target: Path, text: str, shown: str) -> None:
    """Write into a FIFO or a device in place (no temporary file, no rename)."""
    try:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as err:
        raise _naming(err, shown) from None


def _new_file_mode() -> int:
    """0666 less the umask: what a new file gets from `>` in a shell (mkstemp alone gives 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _naming(err: OSError, shown: str) -> OSError:
    """The same error, naming the user's path rather than a temporary or resolved one."""
    return type(err)(err.errno, err.strerror or str(err), shown)
