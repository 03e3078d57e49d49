"""Benchmark: hallusim's exact sampler + singleton rate against idiomatic NumPy (issue 3).

Both sides do the same work: an exact multinomial draw of N examples over C prompts split into
answered/IDK with probability α, then the singleton rate. NumPy baseline::

    counts = rng.multinomial(N, mu); answered = rng.binomial(counts, alpha)
    sr = (answered == 1).sum() / N

The machine's floor is measured in the same run by two minimal kernels over the same arrays and
cores: one that only reads ``mu`` and writes the two count arrays (memory bandwidth), and one that
adds one ``exp()`` per prompt (what drawing a small Poisson count by inversion cannot avoid).

Each side runs in a fresh subprocess that loads the same ``mu`` from disk, warms up (for
hallusim: the JIT compile, reported apart), records its resident-memory increment over the
first measured call, then times ``--repeats`` calls. Reported: median seconds, the ratio, and
peak memory. Run: ``python benchmarks/bench_sampler.py`` (defaults: C = 10^7, N = 10^8, α = 0.9).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(impl, mu_path, n, alpha, repeats):
    import numpy as np

    mu = np.load(mu_path)
    compile_seconds = 0.0
    if impl == "numpy":
        rng = np.random.default_rng(0)

        def run(seed):
            counts = rng.multinomial(n, mu)
            answered = rng.binomial(counts, alpha)
            return (answered == 1).sum() / n

    elif impl in ("floor_bandwidth", "floor_exp"):
        # The machine's floor for the same memory traffic: read μ (8 bytes a prompt), write the two
        # int32 counts (8 bytes); "floor_exp" adds the one transcendental per prompt that a Poisson
        # draw by inversion needs. Parallel over the same two cores, no random numbers.
        import numba

        with_exp = impl == "floor_exp"

        @numba.njit(parallel=True, cache=False)
        def kernel(mu, scale, answered, idk):
            for i in numba.prange(mu.shape[0]):
                x = mu[i] * scale
                if with_exp:
                    x = np.exp(-x) * 16.0
                k = np.int32(x)
                answered[i] = k
                idk[i] = k >> 3

        answered = np.empty(mu.shape[0], dtype=np.int32)
        idk = np.empty(mu.shape[0], dtype=np.int32)
        start = time.perf_counter()
        kernel(mu[:10], float(n), answered[:10], idk[:10])
        compile_seconds = time.perf_counter() - start

        def run(seed):
            kernel(mu, float(n) + seed, answered, idk)
            return float("nan")

    else:
        import hallusim as hs

        start = time.perf_counter()
        tiny = hs.ArbitraryFacts(np.ones(100), answer_prob=alpha)
        tiny.sample(1000, seed=0).singleton_rate  # compile (or load from the Numba cache)
        hs.ArbitraryFacts(np.ones(100), answer_prob=alpha).sample(1000, seed=0, poissonize=False).singleton_rate
        compile_seconds = time.perf_counter() - start
        world = hs.ArbitraryFacts(mu, answer_prob=alpha)

        def run(seed):
            return world.sample(n, seed=seed).singleton_rate

    rss_before = _rss_mib()
    sr = run(0)
    work_mib = _peak_mib() - rss_before
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        run(seed)
        times.append(time.perf_counter() - start)
    return {"impl": impl, "sr": float(sr), "times": times, "compile_seconds": compile_seconds,
            "work_mib": work_mib, "peak_mib": _peak_mib(), "rss_before_mib": rss_before}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=float, default=1e7)
    parser.add_argument("--examples", type=float, default=1e8)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--exponent", type=float, default=1.1, help="Zipf exponent of mu (0 = uniform)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", choices=["numpy", "hallusim", "floor_bandwidth", "floor_exp"], help=argparse.SUPPRESS)
    parser.add_argument("--mu", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = int(args.examples)
    if args.worker:
        print(json.dumps(worker(args.worker, args.mu, n, args.alpha, args.repeats)))
        return 0

    import numpy as np

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        mu_path = os.path.join(tmp, "mu.npy")
        ranks = np.arange(1, int(args.prompts) + 1, dtype=np.float64)
        w = np.exp(-args.exponent * np.log(ranks))
        np.save(mu_path, w / w.sum())
        del ranks, w
        results = {}
        for impl in ("numpy", "hallusim", "floor_bandwidth", "floor_exp"):
            cmd = [sys.executable, __file__, "--worker", impl, "--mu", mu_path, "--examples", str(n),
                   "--alpha", str(args.alpha), "--repeats", str(args.repeats)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[impl] = json.loads(out.stdout.strip().splitlines()[-1])
    base, ours = results["numpy"], results["hallusim"]
    t_base, t_ours = statistics.median(base["times"]), statistics.median(ours["times"])
    import numba

    print(f"C = {int(args.prompts):.0e} prompts (Zipf s = {args.exponent}), N = {n:.0e}, alpha = {args.alpha}, "
          f"{args.repeats} timed runs each, numba threads = {numba.config.NUMBA_NUM_THREADS}, "
          f"load average before/after {load_before:.2f}/{os.getloadavg()[0]:.2f} (other work skews the ratio)")
    print(f"  numpy    : median {t_base:.3f} s   work memory {base['work_mib']:.0f} MiB   peak RSS {base['peak_mib']:.0f} MiB   sr = {base['sr']:.6f}")
    print(f"  hallusim : median {t_ours:.3f} s   work memory {ours['work_mib']:.0f} MiB   peak RSS {ours['peak_mib']:.0f} MiB   sr = {ours['sr']:.6f}"
          f"   (JIT warm-up {ours['compile_seconds']:.2f} s, not timed)")
    print(f"  speed-up (numpy / hallusim): {t_base / t_ours:.2f}x;  work-memory ratio (hallusim / numpy): "
          f"{ours['work_mib'] / max(base['work_mib'], 1e-9):.2f}")
    t_bw = statistics.median(results["floor_bandwidth"]["times"])
    t_exp = statistics.median(results["floor_exp"]["times"])
    print(f"  machine floor: memory traffic alone (read mu, write two int32 counts) {t_bw:.3f} s, "
          f"plus one exp() a prompt {t_exp:.3f} s; hallusim is {t_ours / t_bw:.1f}x and {t_ours / t_exp:.1f}x from them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
