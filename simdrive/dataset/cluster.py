"""Running shards on a Dask distributed cluster (optional extra ``simdrive[cluster]``).

``address`` is ``local`` (a LocalCluster of ``workers`` single-threaded worker
processes on this machine) or a scheduler address such as
``tcp://scheduler:8786``. Workers must see the scenario files and the output
folder at the same paths (a shared file system). Each shard writes its own files;
the results only report counts, so the dataset is the same as a local run's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time

from simdrive.dataset.shard import render_shard
from simdrive.errors import SimdriveError

CONNECT_TIMEOUT_S = 15.0


def _probe(address: str) -> None:
    """Connect to ``address`` and exchange Dask's handshake within CONNECT_TIMEOUT_S, or
    raise. Client's own timeout covers the connection but not the handshake: a server
    that accepts and then stays silent (not a Dask scheduler) would hang it for good."""
    import asyncio
    import threading

    from distributed.comm import connect
    from distributed.security import Security

    async def handshake() -> None:
        # with the client's own security settings (a tls:// scheduler needs its context)
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S,
                             **Security().get_connection_args("client"))
        await comm.close()

    async def bounded() -> None:
        await asyncio.wait_for(handshake(), CONNECT_TIMEOUT_S + 1.0)

    # on a thread of its own, with its own event loop: the caller may be running one
    # already (a notebook), where asyncio.run would refuse to start
    outcome: list[BaseException] = []

    def probe() -> None:
        try:
            asyncio.run(bounded())
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            outcome.append(error)

    thread = threading.Thread(target=probe, name="simdrive-dask-probe", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_S + 5.0)
    if thread.is_alive() or (outcome and isinstance(outcome[0], asyncio.TimeoutError)):
        raise OSError(f"no Dask handshake within {CONNECT_TIMEOUT_S:g} s")
    if outcome:
        raise outcome[0]


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Processes started meanwhile ignore SIGINT (Python keeps an ignored SIGINT ignored).

    Ctrl-C in a terminal reaches the whole process group: the local cluster's worker
    processes printed a KeyboardInterrupt traceback each before the run's own one-line
    message. This way only the run sees it, and it shuts the cluster down. Only the main
    thread can change signal handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


POLL_S = 0.1
"""How often a Dask run looks for finished shards and for a Ctrl-C, s."""


@contextlib.contextmanager
def _ctrl_c_deferred():
    """A Ctrl-C (SIGINT) that comes while the block runs interrupts it only when it ends
    (on the main thread, which alone can set signal handlers; elsewhere nothing changes);
    the block gets a function that says whether one came, to end early.

    A Ctrl-C that came while Dask built a Future left it half made, and its ``__del__``
    printed an AttributeError traceback at exit after the run's one-line message (seen
    once in CI); held back, it interrupts the run only once every Future is whole. (A
    handler, not a blocked signal mask: the client's event-loop thread would take the
    signal then, and Python still raises it in the main thread.)"""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # (a background job's)
        yield lambda: False
        return
    hit = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    try:
        yield lambda: bool(hit)  # whether a Ctrl-C came (the block may end early)
    finally:
        signal.signal(signal.SIGINT, previous)
    if hit:
        raise KeyboardInterrupt


SCRATCH_PREFIX = "simdrive-dask-"


def _scratch_folder() -> str | None:
    """A new folder for a local cluster's scratch space (named after this process), or
    None (Dask's default) when the temporary folder takes none. The folders a killed run
    left (their process gone) are deleted first."""
    _remove_stale_scratch(tempfile.gettempdir())
    try:
        return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    except OSError:
        return None


def _remove_stale_scratch(folder: str) -> None:
    """Delete the scratch folders in ``folder`` of local clusters whose run has ended
    without deleting its own (killed: SIGKILL gives no chance to): those named after a
    process that no longer runs. A folder of a live process, or one of another user's,
    stays."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            pid = entry.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
            if not (entry.name.startswith(SCRATCH_PREFIX) and pid.isdigit()
                    and entry.is_dir(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_uid == os.getuid()):
                continue
            try:
                os.kill(int(pid), 0)
                continue  # still running (or a new process took its number): kept
            except ProcessLookupError:
                pass
            except OSError:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)


class DaskBackend:
    """A connection to a Dask cluster, opened before anything is written (an unreachable
    scheduler is an error while the output folder is still untouched)."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise SimdriveError("--cluster needs Dask distributed",
                                expected="pip install 'simdrive[cluster]'") from None
        self.cluster = None
        self._scratch = None
        try:
            if address == "local":
                # the workers' scratch space in a folder of the run's own, deleted when it
                # ends (Dask's default, <temp>/dask-scratch-space, stays behind)
                self._scratch = _scratch_folder()
                # its workers' log lines (a task cancelled when a run stops on an error; a
                # heartbeat that found the scheduler gone while Ctrl-C shut the cluster
                # down, an ERROR with a traceback) would come after or before the run's
                # own clear message; a task's own error reaches the run through its future
                with dask.config.set({"temporary-directory": self._scratch}), \
                        _workers_ignore_ctrl_c():
                    self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                                processes=True, dashboard_address=None,
                                                silence_logs=logging.CRITICAL,
                                                local_directory=self._scratch)
                self.client = Client(self.cluster)
            else:
                _probe(address)
                self.client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - unreachable, no address, not Dask at all
            self._remove_scratch()
            why = str(error).split("\n")[0].rstrip(".") or type(error).__name__
            if isinstance(error, TimeoutError | OSError) and "timed out" in why.lower():
                why = f"no answer within {CONNECT_TIMEOUT_S:g} s"
            raise SimdriveError(
                f"cannot reach the Dask scheduler at {address} ({why})",
                expected="a running scheduler's address, e.g. tcp://host:8786, or local"
                ) from None

    def run(self, todo, options, out_dir: str, done) -> None:
        from dask.distributed import as_completed

        with _ctrl_c_deferred() as interrupted:
            futures = [self.client.submit(render_shard, shard, options, out_dir, pure=False,
                                          key=f"simdrive-shard-{shard.shard_id}")
                       for shard in todo]
            completed = as_completed(futures)
            # the results as they come, polled, so that a Ctrl-C is taken here within a
            # tenth of a second: raised inside Dask's own waiting it was once swallowed (CI:
            # the run went on to the end and exited 0)
            while not completed.is_empty():
                batch = completed.next_batch(block=False)
                for future in batch:
                    done(future.result())
                if interrupted():
                    break
                if not batch:
                    time.sleep(POLL_S)

    def close(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
