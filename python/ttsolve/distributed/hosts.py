"""Shard hosts: one dask Actor per shard keeps that shard's objects (its paths, the step data, the
sweep stacks) in its worker's memory and applies module-level functions to them on request.

A round is one direct call per shard, client -> worker (an Actor call does not go through the
scheduler: ~2 ms per round on 2 local workers against ~14 ms for a task round, measured
2026-12-03, load 3). Without a client the hosts are plain objects in the calling process and
the same code runs (``n_shards=`` without ``client``).

Worker loss: a host lives only in its worker's memory. When a call finds its host gone (its
actor's worker died: the call fails, or the actor's future is no longer finished), the round
raises :class:`~ttsolve.distributed.errors.LostShardState`; :meth:`Rounds.recover` then creates
fresh hosts for the lost shards and replays the persistent builds (the problem, the shard's
paths: pure functions of the seed and the shard's range, recomputed from their streams), and
the caller redoes the unit of work it was in (the time step) from data it still has. Objects
are named by :class:`Ref` (name and generation): a Ref whose object is missing on its host, or
was replaced, raises ``LostShardState`` rather than using other data.
"""

from __future__ import annotations

import os
import pickle
import time

import numpy as np

from .errors import LostShardState

__all__ = ["Ref", "ShardHost", "Rounds"]


class Ref:
    """An object kept on every shard's host (the shard's own copy or part) under ``name``."""

    __slots__ = ("name", "gen")

    def __init__(self, name: str, gen: int):
        self.name, self.gen = name, gen

    def __getstate__(self):
        return self.name, self.gen

    def __setstate__(self, state):
        self.name, self.gen = state


def _heap_for_numpy_temporaries():
    """Undo the effect of dask's nanny setting ``MALLOC_TRIM_THRESHOLD_=65536`` for its worker
    processes: a fixed trim threshold switches off glibc's dynamic mmap threshold, so every
    temporary array over 128 kB is a fresh mmap and page-faults on first touch; a shard's numpy
    work (arrays of K_s x d doubles) ran 3-4x slower than in a plain process (measured
    2026-12-03: 0.44 s against 0.10 s per HJB d = 100 time step). Sets the thresholds that the
    dynamic rule would reach (mmap above 32 MB, trim above 64 MB); glibc only, else nothing."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


class ShardHost:
    """What lives on a worker (a dask Actor) or in-process: named objects and ``run``."""

    def __init__(self, on_worker: bool = False):
        if on_worker:
            _heap_for_numpy_temporaries()
        self._objects = {}
        self._calls = []  # seconds per run call (the shard's compute, for the cost model)

    def busy(self) -> list:
        return self._calls

    def _resolve(self, a):
        if not isinstance(a, Ref):
            return a
        entry = self._objects.get(a.name)
        if entry is None or entry[0] != a.gen:
            raise LostShardState(f"shard object {a.name!r} (generation {a.gen}) is not on this host "
                                 f"(pid {os.getpid()}): its worker was lost and the host rebuilt")
        return entry[1]

    def run(self, fn, item, args, store=None, gen=0, split=False):
        """fn(item, *args) with Refs resolved. ``store``: keep the result (or, with ``split``, the
        first of the returned pair) under that name and return None (or the pair's second)."""
        t0 = time.perf_counter()
        try:
            out = fn(self._resolve(item), *[self._resolve(a) for a in args])
        finally:
            self._calls.append(time.perf_counter() - t0)
        if store is None:
            return out
        kept, out = out if split else (out, None)
        self._objects[store] = (gen, kept)
        return out


class Rounds:
    """Runs one call per shard and returns the results in shard order (dask Actors, or
    in-process hosts); counts the round trips and the payload bytes each way (pickled
    arguments, result arrays)."""

    def __init__(self, client, n_shards: int):
        self.client, self.n_shards = client, n_shards
        self.count, self.bytes_out, self.bytes_in, self.recoveries = 0, 0, 0, 0
        self._gen = 0
        self._replay = []  # persistent builds: (store, gen, fn, items, args)
        self._hosts = [None] * n_shards
        self._futures = [None] * n_shards
        if client is None:
            self._hosts = [ShardHost() for _ in range(n_shards)]
        else:
            self._start(range(n_shards))
        self.problem_at = None

    # -- dask actors
    def _start(self, which):
        workers = sorted(self.client.nthreads())
        if not workers:
            raise LostShardState("the cluster has no workers left")
        futures = {i: self.client.submit(ShardHost, True, actor=True, pure=False, workers=[workers[i % len(workers)]],
                                         allow_other_workers=True)
                   for i in which}
        for i, f in futures.items():
            self._futures[i], self._hosts[i] = f, f.result()

    def _lost(self):
        return [i for i, f in enumerate(self._futures) if f is not None and f.status != "finished"]

    def _alive(self, i, wait):
        """Whether shard i's actor is still held (a closed comm is reported within ~20 ms)."""
        t0 = time.perf_counter()
        while self._futures[i].status == "finished" and wait and time.perf_counter() - t0 < 1.0:
            time.sleep(0.01)
        return self._futures[i].status == "finished"

    def recover(self):
        """Fresh hosts for the shards whose workers were lost, with the persistent objects rebuilt."""
        if self.client is None:
            raise LostShardState("in-process shards cannot be lost")
        time.sleep(0.05)  # let the scheduler's report of the other losses of the same event arrive
        lost = self._lost()
        if not lost:  # a call failed although every actor reports alive: rebuild all
            lost = list(range(self.n_shards))
        self.recoveries += 1
        self._start(lost)
        for store, gen, fn, items, args in self._replay:
            self._call(fn, items, args, store, gen, False, only=lost)

    def _call(self, fn, items, args, store, gen, split, only=None):
        which = range(self.n_shards) if only is None else only
        if self.client is None:
            return [self._hosts[i].run(fn, items[i], args, store, gen, split) for i in which]
        if self._lost():
            raise LostShardState(f"shards {self._lost()} lost their worker")
        futures = [(i, self._hosts[i].run(fn, items[i], args, store, gen, split)) for i in which]
        out, failed, error = [], [], None
        for i, f in futures:  # wait for all, so that no call of this round still runs when it is redone
            try:
                out.append(f.result())
            except LostShardState:
                failed.append(i)
            except (OSError, RuntimeError) as e:  # the comm closed / "Worker holding Actor was lost"
                if self._alive(i, wait=isinstance(e, OSError)):
                    error = error or e  # a user error raised on a live worker
                else:
                    failed.append(i)
            except BaseException as e:
                error = error or e
        if error is not None:
            raise error
        if failed:
            raise LostShardState(f"shards {failed} lost their worker during a round")
        return out

    def host_seconds(self, per_call: bool = False) -> list:
        """Seconds each shard's host has spent computing (or, per_call, per call)."""
        calls = [h.busy() for h in self._hosts] if self.client is None else [h.busy().result() for h in self._hosts]
        return calls if per_call else [float(sum(c)) for c in calls]

    def _count(self, fn, items, args):
        import cloudpickle  # a dependency of distributed; what dask sends the arguments with

        self.count += 1
        if self.client is not None:
            self.bytes_out += len(cloudpickle.dumps((fn, items[0], args), protocol=pickle.HIGHEST_PROTOCOL)) \
                * self.n_shards

    def _items(self, items):
        return [items] * self.n_shards if isinstance(items, Ref) or items is None else list(items)

    def put(self, obj) -> Ref:
        """obj on every host (sent once; rebuilt with the host when a worker is lost)."""
        return self.map(_identity, None, obj, store=f"put{self._gen}", persistent=True)[0]

    def map(self, fn, items, *args, store: str, persistent: bool = False, split: bool = False):
        """fn(item_i, *args) kept on host i under ``store``; returns the Refs (one per shard), and
        with ``split`` (fn returns (kept, result)) also the results."""
        items = self._items(items)
        self._gen += 1
        gen = self._gen
        self._count(fn, items, args)
        out = self._call(fn, items, args, store, gen, split)
        if persistent:
            self._replay.append((store, gen, fn, items, args))
        refs = [Ref(store, gen)] * self.n_shards
        if split:
            self.bytes_in += sum(_nbytes(r) for r in out)
            return refs, out
        return refs

    def gather(self, fn, items, *args):
        """fn(item_i, *args) on every host; the results in shard order."""
        items = self._items(items)
        self._count(fn, items, args)
        out = self._call(fn, items, args, None, 0, False)
        self.bytes_in += sum(_nbytes(r) for r in out)
        return out


def _identity(item, obj):
    return obj


def _nbytes(value):
    if value is None:
        return 0
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return int(np.asarray(value).nbytes)
