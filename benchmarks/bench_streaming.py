"""One ``singleton_floor`` row (C = N, Zipf 1.0, α = 0.9, three learners), streamed and in memory.

Each measurement is a whole child process (imports and the on-disk JIT cache included; the JIT
is warmed by a small row first), timed by wall clock, with its peak resident memory from
``wait4``. The in-memory path holds the world, the corpus and each model at once (about 58 bytes
a prompt), so it is skipped where it would not fit in this machine's memory.

    python benchmarks/bench_streaming.py --sizes 1e7,1e8,1e9 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

CHILD = r"""
import sys
from hallusim import learners as L
from hallusim.streaming import ZipfWorld, stream_evaluate
from hallusim.iiv import evaluate
n, mode = int(float(sys.argv[1])), sys.argv[2]
chosen = {"calibrated": L.CalibratedLearner, "empirical": L.EmpiricalCalibratedLearner, "memorizing": L.MemorizingLearner}
world = ZipfWorld(n, 1.0, 365, 0.9)
if mode == "streamed":
    run = stream_evaluate(world, n, {k: v() for k, v in chosen.items()}, seed=1)
    err = run.evaluations["calibrated"].err
else:
    corpus = world.in_memory().sample(n, seed=1)
    err = [evaluate(v().fit(corpus), corpus).err for v in chosen.values()][0]
print(repr(err))
"""

#: Peak bytes per prompt of the in-memory path (measured at C = N = 10^8: 5.8 GB).
IN_MEMORY_BYTES_PER_PROMPT = 58


def run_child(n, mode):
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(n), mode], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read().strip()
    if status != 0:
        raise SystemExit(f"{mode} at N = {n:.0e} failed (status {status})")
    return seconds, usage.ru_maxrss / 1024, float(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e7,1e8", help="comma-separated C = N")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} cores; {physical / 2**30:.0f} GiB")
    run_child(10**5, "streamed")  # warm the on-disk JIT cache
    run_child(10**5, "in_memory")
    print(f"{'N = C':>8} {'path':>10} {'seconds':>9} {'peak MB':>9}  err (calibrated)")
    for n in sizes:
        for mode in ("streamed", "in_memory"):
            if mode == "in_memory" and n * IN_MEMORY_BYTES_PER_PROMPT > 0.8 * physical:
                print(f"{n:8.0e} {mode:>10}  skipped: needs about {n * IN_MEMORY_BYTES_PER_PROMPT / 1e9:.0f} GB")
                continue
            for _ in range(args.repeats):
                seconds, peak, err = run_child(n, mode)
                print(f"{n:8.0e} {mode:>10} {seconds:9.1f} {peak:9.0f}  {err!r}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
