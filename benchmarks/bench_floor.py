"""Benchmark: ``hallusim floor``'s streaming reader against the csv module (and pandas, if installed).

Two files of ``--rows`` rows (default 10^7) are generated once under ``--dir``:

* ``counts.csv``: per-fact counts ``key,count,idk`` with Zipf-like counts (aggregated input);
* ``pairs.csv``: raw training pairs ``prompt,response`` with 10% IDK responses (one row per example);
* ``distinct.csv``: raw pairs whose prompts are all distinct (the worst case for the per-prompt
  tally, which then holds one entry per row).

Each reader computes the same statistics (frequency of frequencies of answered counts, N, IDK
examples, distinct prompts), in a fresh subprocess: hallusim (JIT compiled in a warm-up run on a
tiny file, compile time reported apart; on the counts file both with its default key check and
with ``check_keys=False``), the standard-library ``csv`` module with a ``Counter``, and
``pandas.read_csv`` + ``value_counts``. Reported: seconds, the ratio to hallusim, and the peak
resident memory of each process and its growth while reading (over the process's memory after
imports and warm-up). ``--chunk-mib 1,4,16`` also times hallusim at other chunk sizes
(``hallusim.floor._kernels.CHUNK_BYTES``). Run: ``python benchmarks/bench_floor.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_files(directory: Path, rows: int) -> tuple[Path, Path, Path]:
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    counts_path, pairs_path = directory / f"counts_{rows}.csv", directory / f"pairs_{rows}.csv"
    distinct_path = directory / f"distinct_{rows}.csv"
    rng = np.random.default_rng(0)
    block = 1_000_000
    if not counts_path.exists():
        with open(counts_path.with_suffix(".tmp"), "w") as fh:
            fh.write("key,count,idk\n")
            for start in range(0, rows, block):
                size = min(block, rows - start)
                count = np.minimum(rng.zipf(1.7, size) - 1, 10**6)
                idk = rng.binomial(count, 0.1)
                keys = np.char.add("fact", np.arange(start, start + size).astype(str))
                fh.write("\n".join(f"{k},{c},{i}" for k, c, i in zip(keys.tolist(), count.tolist(), idk.tolist())))
                fh.write("\n")
        counts_path.with_suffix(".tmp").rename(counts_path)
    if not pairs_path.exists():
        with open(pairs_path.with_suffix(".tmp"), "w") as fh:
            fh.write("prompt,response\n")
            for start in range(0, rows, block):
                size = min(block, rows - start)
                prompt = rng.zipf(1.3, size) % (rows // 2)
                idk = rng.random(size) < 0.1
                fh.write("\n".join(f"When was person {p} born?,{'IDK' if i else 'day ' + str(p % 365)}"
                                   for p, i in zip(prompt.tolist(), idk.tolist())))
                fh.write("\n")
        pairs_path.with_suffix(".tmp").rename(pairs_path)
    if not distinct_path.exists():
        with open(distinct_path.with_suffix(".tmp"), "w") as fh:
            fh.write("prompt,response\n")
            for start in range(0, rows, block):
                stop = min(rows, start + block)
                fh.write("\n".join(f"When was person {i} born?,day {i % 365}" for i in range(start, stop)))
                fh.write("\n")
        distinct_path.with_suffix(".tmp").rename(distinct_path)
    return counts_path, pairs_path, distinct_path


def _summary(r, n_r, n_examples, n_idk, n_prompts) -> dict:
    return {"n_r_checksum": int(sum(int(a) * 1_000_003 % 999_983 * int(b) for a, b in zip(r, n_r))),
            "n_examples": int(n_examples), "n_idk": int(n_idk), "n_prompts": int(n_prompts)}


def worker(impl: str, kind: str, path: str, chunk_bytes: str = "0") -> dict:
    compile_seconds = 0.0
    base_mib = _rss_mib()
    if impl.startswith("hallusim"):
        import tempfile

        from hallusim.floor import _kernels as floor_kernels
        from hallusim.floor import read_floor_counts

        if int(chunk_bytes):
            floor_kernels.CHUNK_BYTES = int(chunk_bytes)
        check_keys = impl != "hallusim-nocheck"

        with tempfile.TemporaryDirectory() as tmp:  # warm-up: compile (or load) the kernels
            tiny = Path(tmp) / "tiny.csv"
            tiny.write_text("key,count,idk\na,1,0\n" if kind == "counts" else "prompt,response\na,IDK\na,b\n")
            start = time.perf_counter()
            read_floor_counts(tiny)
            compile_seconds = time.perf_counter() - start
        base_mib = _rss_mib()
        start = time.perf_counter()
        c = read_floor_counts(path, check_keys=check_keys)
        seconds = time.perf_counter() - start
        result = _summary(c.r, c.n_r, c.n_examples, c.n_idk, c.n_prompts)
    elif impl == "csv":
        import csv
        from collections import Counter

        start = time.perf_counter()
        with open(path, newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            if kind == "counts":
                tally, rows, idk = Counter(), 0, 0
                for _key, count, n_idk in reader:
                    tally[int(count)] += 1
                    idk += int(n_idk)
                    rows += 1
                answered = sum(r * n for r, n in tally.items())
                r = sorted(k for k in tally if k > 0)
                result = _summary(r, [tally[k] for k in r], answered + idk, idk, rows)
            else:
                per_prompt, prompts, rows, idk = Counter(), set(), 0, 0
                for prompt, response in reader:
                    rows += 1
                    prompts.add(prompt)
                    if response == "IDK":
                        idk += 1
                    else:
                        per_prompt[prompt] += 1
                tally = Counter(per_prompt.values())
                r = sorted(tally)
                result = _summary(r, [tally[k] for k in r], rows, idk, len(prompts))
        seconds = time.perf_counter() - start
    else:
        import pandas as pd

        start = time.perf_counter()
        if kind == "counts":
            frame = pd.read_csv(path, dtype={"key": str, "count": "int64", "idk": "int64"})
            tally = frame["count"].value_counts().sort_index()
            tally = tally[tally.index > 0]
            idk = int(frame["idk"].sum())
            result = _summary(tally.index, tally.values, int(frame["count"].sum()) + idk, idk, len(frame))
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            answered = frame["response"] != "IDK"
            tally = frame.loc[answered, "prompt"].value_counts().value_counts().sort_index()
            result = _summary(tally.index, tally.values, len(frame), int((~answered).sum()), frame["prompt"].nunique())
        seconds = time.perf_counter() - start
    return {"impl": impl, "kind": kind, "seconds": seconds, "compile_seconds": compile_seconds,
            "peak_mib": _peak_mib(), "read_mib": _peak_mib() - base_mib, "result": result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**7)
    parser.add_argument("--dir", default="/tmp/hallusim_bench_floor")
    parser.add_argument("--skip-csv", action="store_true", help="skip the (slow) csv-module baseline")
    parser.add_argument("--chunk-mib", default="", help="also time hallusim at these chunk sizes (MiB, comma-separated)")
    parser.add_argument("--worker", nargs=4, metavar=("IMPL", "KIND", "PATH", "CHUNK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    start = time.perf_counter()
    paths = _write_files(Path(args.dir), args.rows)
    print(f"files ready in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{path} ({path.stat().st_size / 2**20:.0f} MiB)" for path in paths))
    import importlib.util

    from hallusim.floor import _kernels as floor_kernels

    print(f"hallusim chunk: {floor_kernels.CHUNK_BYTES / 2**20:g} MiB")
    baselines = ["pandas"] if importlib.util.find_spec("pandas") else []
    if not args.skip_csv:
        baselines.append("csv")
    chunks = [int(float(c) * 2**20) for c in args.chunk_mib.split(",") if c.strip()]
    for label, kind, path in zip(("counts", "pairs", "pairs*"), ("counts", "pairs", "pairs"), paths):
        runs = {}
        impls = [("hallusim", 0)] + ([("hallusim-nocheck", 0)] if kind == "counts" else [])
        impls += [("hallusim", c) for c in chunks] + [(b, 0) for b in baselines]
        for impl, chunk in impls:
            out = subprocess.run([sys.executable, __file__, "--worker", impl, kind, str(path), str(chunk)],
                                 capture_output=True, text=True, check=True, env=dict(os.environ))
            name = impl if not chunk else f"{impl}@{chunk / 2**20:g}MiB"
            runs[name] = json.loads(out.stdout)
        base = runs["hallusim"]
        for impl, run in runs.items():
            agree = "same result" if run["result"] == base["result"] else f"DIFFERENT RESULT {run['result']}"
            extra = f", compile {run['compile_seconds']:.2f} s" if impl.startswith("hallusim") else ""
            print(f"{label:6s} {args.rows:.0e} rows  {impl:16s} {run['seconds']:7.2f} s  "
                  f"({run['seconds'] / base['seconds']:5.1f}x hallusim)  peak RSS {run['peak_mib']:5.0f} MiB "
                  f"(+{run['read_mib']:4.0f} MiB while reading){extra}  {agree}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
