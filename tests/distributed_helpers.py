"""Shared pieces of the distributed tests."""

import os
import signal
import threading
import time

import pytest


def kill_a_busy_worker_during(client, run, task: str) -> dict:
    """Runs run() in a thread; as soon as a worker is processing a task whose key contains
    ``task``, SIGKILLs that worker's process. Returns {"result": ...} or {"error": ...}."""
    pids = client.run(os.getpid)
    box = {}

    def target():
        try:
            box["result"] = run()
        except BaseException as e:  # handed to the test thread
            box["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    busy = []
    while thread.is_alive() and not busy:
        busy = [a for a, keys in client.processing().items() if any(task in str(k) for k in keys)]
        time.sleep(0.002)
    assert busy and thread.is_alive(), "the run finished before a worker could be killed"
    os.kill(pids[busy[0]], signal.SIGKILL)
    thread.join()
    return box


def kill_a_worker_after_steps(client, solve, steps: int = 2):
    """Runs solve(progress=...); after ``steps`` finished time steps SIGKILLs the worker process
    that hosts shard 0 (the first worker in address order) and waits until the scheduler has
    removed it, so the next round finds that shard's host gone. Returns solve's result."""
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    calls = []

    def kill_after(n, diag):
        calls.append(n)
        if len(calls) == steps:
            os.kill(pids[victim], signal.SIGKILL)
            t0 = time.monotonic()
            while victim in client.nthreads() and time.monotonic() - t0 < 60:
                time.sleep(0.01)

    out = solve(progress=kill_after)
    assert len(calls) > steps, "the solve finished before a worker was killed"
    return out


def interrupted_then_resumed(solve_interrupted, solve_resumed):
    """Runs solve_interrupted(progress=...) with a progress callback that interrupts after two
    finished steps (the checkpoint keeps them), then returns solve_resumed()."""
    calls = []

    def stop_after_two(n, diag):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        solve_interrupted(progress=stop_after_two)
    assert len(calls) == 2
    return solve_resumed()
