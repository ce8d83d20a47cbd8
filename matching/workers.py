"""Worker processes for the matcher that never run the caller's ``__main__``.

Why not ``multiprocessing`` (the matcher used a ``spawn`` ``ProcessPoolExecutor`` before):
every start method but ``fork`` sends the child the parent's "preparation data", and the child
re-imports the parent's main script from it (``__mp_main__``). A script that calls ``match``
at its top level without an ``if __name__ == "__main__":`` guard (SPEC section 3's example)
then calls ``match`` again in every worker, which tries to start workers while bootstrapping,
dies, and the parent gets ``BrokenProcessPool``. ``forkserver`` does the same (its children
run the same preparation), and ``fork`` is unsafe from a process that runs threads (the hub
calls ``match`` from ``asyncio.to_thread``; numpy's BLAS has its own threads).

So the workers here are plain ``python -c`` subprocesses that import only ``matching`` and
read pickled tasks from a pipe: the caller's main module, whatever it is (a script without a
guard, a notebook, a console script, a thread), is never imported by them. Each worker is
driven by one thread of the caller; a worker that dies (killed, out of memory) is noticed by
its pipe closing, and its design is then solved in the calling process, so a run finishes
with the same answer or raises the solver's own error, never ``BrokenProcessPool``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_HEADER = struct.Struct("!Q")
# The worker's program: the caller's import path first (so it finds the same ``matching``,
# also when that is a source checkout next to a script), then the loop; nothing else.
_BOOT = "import sys; sys.path[:0] = {path!r}; from matching.workers import serve; serve()"


def write_frame(stream: IO[bytes], obj: object) -> None:
    """Write ``obj`` pickled, preceded by its length."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """Read one frame written by ``write_frame``; ``EOFError`` if the other side is gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("worker pipe closed")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("worker pipe closed")
    return pickle.loads(data)


def serve() -> None:
    """A worker's loop: read ``(function, argument)`` frames, answer ``(ok, value)`` frames."""
    # Answers go through a copy of the original stdout; anything the solvers print goes to
    # stderr instead of corrupting the frames.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    tasks = sys.stdin.buffer
    # Importing the solvers now, while the caller is still building its problems.
    import matching.solve  # noqa: F401

    while True:
        try:
            function, argument = read_frame(tasks)
        except EOFError:
            return
        try:
            answer: tuple[bool, object] = (True, function(argument))
        except Exception as exc:  # the caller re-raises it
            answer = (False, exc if _round_trips(exc) else RuntimeError(f"{exc!r} in a worker"))
        write_frame(answers, answer)


def _round_trips(exc: BaseException) -> bool:
    """Whether ``exc`` survives pickling (one whose ``__init__`` differs from its args fails)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True


class Worker:
    """One worker subprocess and its two pipes."""

    def __init__(self) -> None:
        command = [sys.executable, "-c", _BOOT.format(path=list(sys.path))]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        self.pid = self.process.pid
        #: Set while the worker holds a task (the tests kill a worker at that moment).
        self.busy = threading.Event()

    def call(self, function: Callable[[T], R], argument: T) -> R:
        """Run ``function(argument)`` in the worker; ``EOFError`` if the worker died."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        self.busy.set()
        try:
            try:
                write_frame(stdin, (function, argument))
            except (BrokenPipeError, OSError) as exc:
                raise EOFError("worker died") from exc
            ok, value = read_frame(stdout)
        finally:
            self.busy.clear()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def close(self, *, wait: bool) -> None:
        """Let the worker finish (closing its input ends its loop), or kill it."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if not wait:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class WorkerPool:
    """Worker subprocesses started now, each importing the solvers meanwhile."""

    def __init__(self, workers: int) -> None:
        self.workers: list[Worker] = []
        try:
            for _ in range(workers):
                self.workers.append(Worker())
        except BaseException:
            self.shutdown(wait=False)  # none left behind when one cannot start
            raise
        #: Tasks a dead worker left: the caller solved them itself.
        self.recovered = 0

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers."""
        return [w.pid for w in self.workers]

    def map(self, function: Callable[[T], R], arguments: Sequence[T]) -> list[R]:
        """``[function(a) for a in arguments]``, spread over the workers, in that order.

        Arguments are handed out in the order given (put the long ones first). A worker that
        dies hands its task back and stops; what the dead workers left is computed in this
        process at the end. The first error the function raises is raised here.
        """
        results: list[Any] = [None] * len(arguments)
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for k in range(len(arguments)):
            todo.put(k)
        orphaned: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def drive(worker: Worker) -> None:
            while not errors:
                try:
                    k = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[k] = worker.call(function, arguments[k])
                except EOFError:
                    with lock:
                        orphaned.append(k)
                    return
                except BaseException as exc:
                    with lock:
                        errors.append(exc)
                    return

        threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in self.workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        # Tasks nobody took (every worker died) and tasks a dying worker held.
        while True:
            try:
                orphaned.append(todo.get_nowait())
            except queue.Empty:
                break
        self.recovered += len(orphaned)
        for k in sorted(orphaned):
            results[k] = function(arguments[k])
        return results

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers: let them exit, or (``wait=False``) kill them now."""
        for w in self.workers:
            w.close(wait=wait)
