"""The journal's whole chain, checked in a process of its own.

Verifying a million entries is ~25 s of Python. On a thread it held the GIL
in turns with the backend's loop, so every request waited while it ran; in
a child process it takes a core of its own, at a lower priority than the
backend, and the backend keeps answering.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from multiprocessing import forkserver, resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from backend_client import VerifyResult

from .domain import journal
from .store import read_audit_rows

__all__ = ["VerifyWorkers", "verify_file"]


def verify_file(path: Path | str, secret: str) -> VerifyResult:
    """The whole hash chain of the journal in the database at `path` (a file or a URL)."""
    return journal.verify_chain(read_audit_rows(path), secret)


def _verify_and_send(answer: Connection, path: Path | str, secret: str) -> None:
    """The child's work: verify, send the result (or the error) back, exit."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)  # background work: the backend's requests come first
    try:
        result: VerifyResult | BaseException = verify_file(path, secret)
    except Exception as error:  # noqa: BLE001 - sent back to be raised in the parent
        result = error
    with contextlib.suppress(OSError):  # the parent may have gone meanwhile
        answer.send(result)
    answer.close()


class VerifyWorkers:
    """Start a child process per verification; stop them all on shutdown.

    The children are daemonic, so a backend that exits normally takes them
    with it; one killed outright leaves its child to finish its check and
    exit when the answer cannot be sent.
    """

    def __init__(self) -> None:
        self._running: set[BaseProcess] = set()
        # Not fork: the backend runs an event loop and threads. A fork server
        # (a clean process that has imported this module once) forks each child
        # in ~10 ms; spawning one imports everything again (~250 ms a check).
        method = "forkserver" in multiprocessing.get_all_start_methods()
        self._context: ForkServerContext | SpawnContext
        if method:
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload([__name__])
        else:
            self._context = multiprocessing.get_context("spawn")
        # Both need helper processes started with this process's stderr: start
        # them now, before a console in the same process (`hitl demo`) replaces
        # stderr with one that has no file descriptor.
        with contextlib.suppress(OSError, ValueError):
            resource_tracker.ensure_running()
            if method:
                forkserver.ensure_running()

    def verify(self, path: Path | str, secret: str) -> VerifyResult:
        """Verify in a child process and wait for its answer (blocking: call on a thread)."""
        receive, send = self._context.Pipe(duplex=False)
        child = self._context.Process(
            target=_verify_and_send, args=(send, path, secret), daemon=True
        )
        try:
            child.start()
        except (OSError, ValueError):
            # No child process to be had here (the tracker could not start):
            # check on this thread instead, slower for everyone but correct.
            receive.close()
            send.close()
            return verify_file(path, secret)
        send.close()
        self._running.add(child)
        try:
            answer = receive.recv()
        except EOFError:
            raise RuntimeError("the verification process stopped before answering") from None
        finally:
            receive.close()
            child.join()
            self._running.discard(child)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, VerifyResult)
        return answer

    def stop(self) -> None:
        """Stop every verification still running."""
        for child in list(self._running):
            child.terminate()
