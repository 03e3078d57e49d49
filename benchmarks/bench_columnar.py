"""Benchmark: ``hallusim floor`` on Parquet against pyarrow's ``value_counts`` and polars' ``group_by().len()``.

A Parquet file of ``--rows`` training pairs (default 10^8) is generated under ``--dir`` (and
deleted afterwards unless ``--keep``): ``prompt`` (int64, Zipf-distributed over about a tenth as
many distinct prompts as rows) and ``response`` (dictionary-encoded text, 10% ``"IDK"``), in row
groups of 2^20 rows. Each reader computes the same statistics, the frequency of frequencies of the
answered examples per prompt, in a fresh subprocess, and the results are checked to agree:

* hallusim: :func:`hallusim.floor.read_floor_counts` (record batches through the pairs tally;
  the JIT is warmed on a tiny file first, in the same process, and its time reported apart);
* pyarrow: ``pq.read_table`` of both columns, ``filter(response != "IDK")``, ``pc.value_counts``
  of ``prompt`` and again of the counts (the whole column in memory);
* polars: ``scan_parquet(...).filter(...).group_by("prompt").len()`` then ``group_by("len").len()``
  (lazy, multi-threaded; ``POLARS_MAX_THREADS`` is left at its default), on its default engine
  and on its streaming engine (``collect(engine="streaming")``).

A baseline that holds the whole table is skipped, with the reason, where it would need more than
80% of the memory available (at 10^9 rows, about 25 GiB).

Reported: seconds, rows/s, the ratio of each baseline's time to hallusim's, and the peak resident
memory (VmHWM) of each process, with ``uptime`` before and after. Run:
``python benchmarks/bench_columnar.py [--rows N] [--dir DIR] [--keep]`` (polars is not a
dependency of hallusim: ``pip install polars`` first, or it is skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


#: Peak bytes per row of the in-memory baselines (both columns read whole, then a filtered copy),
#: measured at 10^8 rows: pyarrow 2.7 GB.
IN_MEMORY_BYTES_PER_ROW = 27


def _available_bytes() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _write(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    distinct = max(10, rows // 10)
    block = 1 << 20
    dictionary = pa.array(["answer", "IDK"])
    schema = pa.schema([("prompt", pa.int64()), ("response", pa.dictionary(pa.int8(), pa.string()))])
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, rows, block):
            size = min(block, rows - start)
            prompt = (rng.zipf(1.3, size) + rng.integers(0, 7, size) * 7919) % distinct
            idk = (rng.random(size) < 0.1).astype(np.int8)
            response = pa.DictionaryArray.from_arrays(pa.array(idk), dictionary)
            writer.write_table(pa.table({"prompt": pa.array(prompt, pa.int64()), "response": response}, schema=schema))
    tmp.rename(path)


def _worker(name: str, path: str) -> dict:
    import numpy as np

    start = time.perf_counter()
    warm = 0.0
    if name == "hallusim":
        import tempfile

        import pyarrow as pa
        import pyarrow.parquet as pq

        from hallusim.floor import read_floor_counts

        with tempfile.TemporaryDirectory() as tmp:
            tiny = Path(tmp) / "tiny.parquet"
            table = pa.table({"prompt": pa.array([1, 2, 1], pa.int64()),
                              "response": pa.array(["a", "IDK", "a"]).dictionary_encode()})
            pq.write_table(table, tiny)
            read_floor_counts(tiny)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        counts = read_floor_counts(path)
        r, n_r = counts.r, counts.n_r
    elif name == "pyarrow":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        table = pq.read_table(path, columns=["prompt", "response"])
        answered = table.filter(pc.not_equal(table["response"].cast("string"), "IDK"))
        per_prompt = pc.value_counts(answered["prompt"]).field("counts")
        table = answered = None
        fof = pc.value_counts(per_prompt)
        r, n_r = fof.field("values").to_numpy(), fof.field("counts").to_numpy()
    else:
        import polars as pl

        # "polars-streaming": the same query on polars' streaming engine, which works in batches
        engine = "streaming" if name == "polars-streaming" else "auto"
        fof = (pl.scan_parquet(path).filter(pl.col("response").cast(pl.Utf8) != "IDK").group_by("prompt").len()
               .group_by("len").len(name="n_r").collect(engine=engine))
        r, n_r = fof["len"].to_numpy(), fof["n_r"].to_numpy()
    seconds = time.perf_counter() - start
    order = np.argsort(r)
    return {"seconds": seconds, "warmup": warm, "peak_mib": _peak_mib(),
            "r": np.asarray(r)[order].astype(int).tolist(), "n_r": np.asarray(n_r)[order].astype(int).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**8)
    parser.add_argument("--dir", default="/tmp/hallusim-bench-columnar")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(*args.worker)))
        return
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"pairs_{args.rows}.parquet"
    print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if not path.exists():
        t0 = time.perf_counter()
        _write(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t0:.0f} s")
    results = {}
    available = _available_bytes()
    try:
        for name in ("hallusim", "pyarrow", "polars", "polars-streaming"):
            if name.startswith("polars"):
                try:
                    import polars  # noqa: F401
                except ModuleNotFoundError:
                    print(f"{name}: not installed, skipped (pip install polars)")
                    continue
            need = IN_MEMORY_BYTES_PER_ROW * args.rows
            if name in ("pyarrow", "polars") and need > 0.8 * available:
                print(f"{name}: skipped: holds the whole table, about {need / 2**30:.0f} GiB, and "
                      f"{available / 2**30:.0f} GiB is available")
                continue
            proc = subprocess.run([sys.executable, __file__, "--worker", name, str(path)], capture_output=True,
                                  text=True, env=dict(os.environ))
            if proc.returncode:
                print(f"{name}: failed\n{proc.stderr[-2000:]}")
                continue
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
    reference = results.get("hallusim")
    for name, res in results.items():
        same = reference is not None and (res["r"], res["n_r"]) == (reference["r"], reference["n_r"])
        ratio = res["seconds"] / reference["seconds"] if reference else float("nan")
        warm = f", JIT warm-up {res['warmup']:.1f} s apart" if res["warmup"] else ""
        print(f"{name:9s} {res['seconds']:8.2f} s  {args.rows / res['seconds'] / 1e6:8.2f} M rows/s  "
              f"time / hallusim's {ratio:5.2f}  peak {res['peak_mib']:8.0f} MiB  same result: {same}{warm}")
    print("uptime after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
