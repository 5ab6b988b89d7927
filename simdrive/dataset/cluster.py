"""Running shards on a Dask distributed cluster (optional extra ``simdrive[cluster]``).

``address`` is ``local`` (a LocalCluster of ``workers`` single-threaded worker
processes on this machine) or a scheduler address such as
``tcp://scheduler:8786``. Workers must see the scenario files and the output
folder at the same paths (a shared file system). Each shard writes its own files;
the results only report counts, so the dataset is the same as a local run's.
"""

from __future__ import annotations

from simdrive.dataset.shard import render_shard
from simdrive.errors import SimdriveError


class DaskBackend:
    """A connection to a Dask cluster, opened before anything is written (an unreachable
    scheduler is an error while the output folder is still untouched)."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise SimdriveError("--cluster needs Dask distributed",
                                expected="pip install 'simdrive[cluster]'") from None
        self.cluster = None
        try:
            if address == "local":
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout=30)
        except (OSError, ValueError, TypeError) as error:  # unreachable, or no address
            raise SimdriveError(f"cannot reach the Dask scheduler at {address}: {error}",
                                expected="a running scheduler, e.g. tcp://host:8786, or local"
                                ) from None

    def run(self, todo, options, out_dir: str, done) -> None:
        from dask.distributed import as_completed

        futures = [self.client.submit(render_shard, shard, options, out_dir, pure=False,
                                      key=f"simdrive-shard-{shard.shard_id}")
                   for shard in todo]
        for future in as_completed(futures):
            done(future.result())

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
