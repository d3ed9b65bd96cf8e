"""Run a command with a small tmpfs of its own: ``python fullfs.py SIZE DIR COMMAND...`` mounts a
tmpfs of SIZE at DIR (in the mount namespace this runs in: start it under ``unshare --mount``),
runs COMMAND, and on SIGUSR1 fills the tmpfs to the last byte (a full disk), on SIGUSR2 empties
what it filled; SIGTERM is passed on to COMMAND."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys


def main() -> int:
    size, where, *command = sys.argv[1:]
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where], check=True)
    child = subprocess.Popen(command)
    filler = os.path.join(where, "filler")

    def fill(*_: object) -> None:
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = b"\0" * 4096
            while True:
                os.write(fd, chunk)
        except OSError:  # the disk is full (to the last 4 kB block)
            pass
        finally:
            os.close(fd)

    def empty(*_: object) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(filler)

    signal.signal(signal.SIGUSR1, fill)
    signal.signal(signal.SIGUSR2, empty)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
