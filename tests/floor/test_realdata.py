"""Real data and the new reading paths of hallusim floor: running text, Parquet / Arrow IPC, the CLI options.

Fixtures are written by the tests with values derived by hand in the comments; the real data sets
are read from installed packages (textblob's en-spelling.txt, MIT licence; gensim's test corpora
only if gensim is installed).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from hallusim import cli
from hallusim.floor import (
    TEXT_CAVEAT,
    floor_report,
    forecast_floor,
    read_floor_counts,
    read_text_counts,
)

DATA = Path(__file__).parent.parent / "data" / "floor"


# ----------------------------------------------------------------------------------------------
# Running text
# ----------------------------------------------------------------------------------------------


def test_text_bigram_counts_by_hand(tmp_path):
    # "a b a b\na c": tokens a b a b a c (the context crosses the line end). Order 1 pairs:
    # (a,b) (b,a) (a,b) (b,a) (a,c): (a,b)×2, (b,a)×2, (a,c)×1 → N = 5, n_1 = 1, n_2 = 2, sr = 1/5.
    path = tmp_path / "t.txt"
    path.write_text("a b a b\na c\n")
    counts = read_text_counts(path, context_order=1)
    assert counts.n_examples == 5 and counts.n_prompts == 3
    assert counts.r.tolist() == [1, 2] and counts.n_r.tolist() == [1, 2]
    assert counts.caveat == TEXT_CAVEAT
    report = floor_report(counts)
    assert report.singleton_rate == pytest.approx(1 / 5)
    assert any("missing-mass estimate" in w for w in report.warnings)
    # Order 0: unigrams a×3, b×2, c×1 → N = 6, n_1 = n_2 = n_3 = 1.
    unigrams = read_text_counts(path, context_order=0)
    assert unigrams.n_examples == 6 and unigrams.n_r.tolist() == [1, 1, 1]
    # Order 2: (a b a) (b a b) (a b a) (b a c): N = 4, n_1 = 2, n_2 = 1.
    trigrams = read_text_counts(path, context_order=2)
    assert trigrams.n_examples == 4 and trigrams.r.tolist() == [1, 2] and trigrams.n_r.tolist() == [2, 1]


def test_text_chunks_do_not_change_the_counts(tmp_path, monkeypatch):
    from hallusim.floor import _text

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in rng.zipf(1.5, 3000) % 200]
    path = tmp_path / "z.txt"
    path.write_text("\n".join(" ".join(words[i : i + 7]) for i in range(0, len(words), 7)))
    whole = read_text_counts(path, context_order=2)
    monkeypatch.setattr(_text, "_LINES_PER_CHUNK", 3)
    chunked = read_text_counts(path, context_order=2)
    assert (whole.r.tolist(), whole.n_r.tolist(), whole.n_examples) == (chunked.r.tolist(), chunked.n_r.tolist(),
                                                                       chunked.n_examples)


def test_text_too_short_and_not_utf8(tmp_path):
    short = tmp_path / "s.txt"
    short.write_text("one two")
    with pytest.raises(ValueError, match="s.txt: 2 tokens; a context order of 2 needs at least 3"):
        read_text_counts(short, context_order=2)
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(ValueError, match="b.txt, line 2: not UTF-8"):
        read_text_counts(bad)


# ----------------------------------------------------------------------------------------------
# Parquet and Arrow IPC
# ----------------------------------------------------------------------------------------------

pa = pytest.importorskip("pyarrow")


def _pairs_table():
    # prompts p q p r p, responses with one IDK: p answered 2 (one IDK), q 1, r 1 → n_1 = 2, n_2 = 1,
    # N = 5 with 1 IDK; sr = 2/5.
    return pa.table({"prompt": ["p", "q", "p", "r", "p"], "response": ["x", "y", "IDK", "z", "x"]})


@pytest.mark.parametrize("kind", ["parquet", "feather", "stream"])
def test_columnar_pairs_by_hand(tmp_path, kind):
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    path = tmp_path / f"pairs.{kind}"
    table = _pairs_table()
    if kind == "parquet":
        pq.write_table(table, path, row_group_size=2)
    elif kind == "feather":
        feather.write_feather(table, path, chunksize=2)
    else:
        with pa.ipc.new_stream(str(path), table.schema) as writer:
            for batch in table.to_batches(max_chunksize=2):
                writer.write_batch(batch)
    counts = read_floor_counts(path)
    assert counts.n_examples == 5 and counts.n_idk == 1
    assert counts.r.tolist() == [1, 2] and counts.n_r.tolist() == [2, 1]
    assert floor_report(counts).singleton_rate == pytest.approx(2 / 5)


def test_columnar_counts_and_table_by_hand(tmp_path):
    import pyarrow.parquet as pq

    # counts 1, 2, 1, 0, 5 with IDK 0, 1, 0, 3, 0: answered 9, IDK 4, N = 13; n_1 = 2, n_2 = 1,
    # n_5 = 1; one prompt ("d") has no answered example; sr = 2/13.
    pq.write_table(pa.table({"key": list("abcde"), "count": [1, 2, 1, 0, 5], "idk": [0, 1, 0, 3, 0]}),
                   tmp_path / "counts.parquet")
    counts = read_floor_counts(tmp_path / "counts.parquet")
    assert (counts.n_examples, counts.n_idk, counts.n_prompts) == (13, 4, 5)
    assert counts.r.tolist() == [1, 2, 5] and counts.n_r.tolist() == [2, 1, 1]
    # A table r, n_r as unsigned integers: 3 singletons, 1 doubleton → 5 answered examples.
    pq.write_table(pa.table({"r": pa.array([1, 2], pa.uint32()), "n_r": pa.array([3, 1], pa.uint64())}),
                   tmp_path / "table.parquet")
    table = read_floor_counts(tmp_path / "table.parquet")
    assert table.n_examples == 5 and table.n_singletons == 3


def test_columnar_bad_values_name_file_row_and_column(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"key": ["a", "b", "c"], "count": [1, -2, 3]}), path)
    with pytest.raises(ValueError, match=r"bad.parquet, row 2: `count` must be a non-negative integer; got -2"):
        read_floor_counts(path)
    pq.write_table(pa.table({"key": ["a", "b", "a"], "count": [1, 2, 3]}), path)
    with pytest.raises(ValueError, match=r"bad.parquet, line 3: `key` must be distinct"):
        read_floor_counts(path)
    pq.write_table(pa.table({"key": ["a", None], "count": [1, 2]}), path)
    with pytest.raises(ValueError, match=r"row 2: `key` must be present on every row; got a null"):
        read_floor_counts(path)
    pq.write_table(pa.table({"key": ["a", "b"], "count": [1.5, 2.0]}), path)
    with pytest.raises(ValueError, match=r"`count` must be an integer column; got type double"):
        read_floor_counts(path)


def test_columnar_batches_do_not_change_the_counts(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from hallusim.floor import _columnar

    rng = np.random.default_rng(1)
    prompts = rng.zipf(1.3, 5000) % 1000
    pq.write_table(pa.table({"prompt": prompts.astype(str), "response": ["x"] * prompts.size}), tmp_path / "p.parquet")
    _, truth = np.unique(np.unique(prompts, return_counts=True)[1], return_counts=True)
    monkeypatch.setattr(_columnar, "_BATCH_ROWS", 333)
    counts = read_floor_counts(tmp_path / "p.parquet")
    assert counts.n_r.tolist() == truth.tolist()


# ----------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------


def test_cli_forecast_text_and_json(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("a b a b\na c\n")
    assert cli.main(["floor", str(path), "--text", "--context-order", "1", "--forecast", "0.5,2"]) == 0
    captured = capsys.readouterr()
    assert "running text" in captured.out and "missing-mass estimate" in captured.err
    assert "forecast (N = 5" in captured.out and "subsample" in captured.out
    assert cli.main(["floor", str(DATA / "shakespeare_efron_thisted.csv"), "--total-examples", "884647",
                     "--forecast", "2,100", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = payload["forecast"]["forecasts"]
    assert rows[0]["method"] == "good-toulmin" and rows[1]["refused"]


@pytest.mark.parametrize("argv, message", [
    (["--forecast", "2,x"], "--forecast must be a comma-separated list"),
    (["--forecast", "0"], "--forecast must be a comma-separated list"),
    (["--context-order", "2"], "--context-order must be given with --text"),
    (["--total-examples", "0"], "--total-examples"),
    (["--target-floor", "2"], "--target-floor"),
    (["--max-error", "1.5"], "--max-error"),
])
def test_cli_bad_forecast_options_exit_2(capsys, argv, message):
    assert cli.main(["floor", str(DATA / "table.tsv"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_plot_writes_the_forecast_figure(tmp_path, capsys):
    base = tmp_path / "fig"
    assert cli.main(["floor", str(DATA / "shakespeare_efron_thisted.csv"), "--total-examples", "884647",
                     "--forecast", "2", "--plot", str(base)]) == 0
    assert (tmp_path / "fig_forecast.png").stat().st_size > 0 and (tmp_path / "fig_forecast.pdf").stat().st_size > 0


# ----------------------------------------------------------------------------------------------
# Real data from installed packages
# ----------------------------------------------------------------------------------------------


def _en_spelling_counts():
    if importlib.util.find_spec("textblob") is None:
        pytest.skip("textblob is not installed (it is in the test extra)")
    text = (importlib.resources.files("textblob") / "en" / "en-spelling.txt").read_text("utf-8")
    counts = [int(line.split()[1]) for line in text.splitlines() if line.strip() and not line.startswith(";;;")]
    return np.asarray(counts, np.int64)


def test_en_spelling_read_as_counts_and_forecast_from_a_fraction(tmp_path):
    counts = _en_spelling_counts()
    text = (importlib.resources.files("textblob") / "en" / "en-spelling.txt").read_text("utf-8")
    rows = [line.split() for line in text.splitlines() if line.strip() and not line.startswith(";;;")]
    path = tmp_path / "words.csv"
    path.write_text("key,count\n" + "".join(f"{w},{c}\n" for w, c in rows))
    read = read_floor_counts(path)
    assert read.n_examples == int(counts.sum()) and read.n_singletons == int(np.sum(counts == 1))
    full_sr = read.n_singletons / read.n_examples
    # Forecast the full corpus's sr from a random half of its tokens (multivariate hypergeometric).
    # The half's own forecast at t = 2 must cover the truth within 4 of its standard errors plus
    # 10% of sr (the smoothing bias; normal level 6e-5 for the sampling part).
    rng = np.random.default_rng(2025)
    half = rng.multivariate_hypergeometric(counts, int(counts.sum()) // 2)
    r, n_r = np.unique(half[half > 0], return_counts=True)
    report = floor_report((r, n_r))
    row = forecast_floor(report.counts, [2.0]).rows[0]
    assert abs(row.singleton_rate - full_sr) <= 4 * row.singleton_rate_se + 0.1 * full_sr


def test_gensim_lee_corpus_as_text_when_installed():
    if importlib.util.find_spec("gensim") is None:
        pytest.skip("gensim is not installed (too heavy for the test extra)")
    path = importlib.resources.files("gensim") / "test" / "test_data" / "lee_background.cor"
    counts = read_text_counts(path, context_order=1, lowercase=True)
    assert counts.n_examples > 50_000 and 0 < floor_report(counts).singleton_rate < 1


def test_columnar_reader_thread_stops_with_an_error_midway(tmp_path, monkeypatch):
    """A bad value in a later batch is reported with its row while batches are decoded ahead by
    the reader thread, and the thread ends with the read (none is left running)."""
    import threading

    import pyarrow.parquet as pq

    from hallusim.floor import _columnar

    counts = np.ones(2000, np.int64)
    counts[1500] = -7
    path = tmp_path / "late.parquet"
    pq.write_table(pa.table({"key": [f"k{i}" for i in range(2000)], "count": counts}), path, row_group_size=100)
    monkeypatch.setattr(_columnar, "_BATCH_ROWS", 100)
    with pytest.raises(ValueError, match=r"late.parquet, row 1501: `count` must be a non-negative integer; got -7"):
        read_floor_counts(path)
    assert not [t for t in threading.enumerate() if t.name == "hallusim-batch-reader"]


def test_prefetched_batches_keep_their_order_and_raise_the_readers_error():
    from hallusim.floor import _columnar

    assert list(_columnar._prefetched(iter(range(50)))) == list(range(50))

    def broken():
        yield from range(5)
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for item in _columnar._prefetched(broken()):
            seen.append(item)
    assert seen == list(range(5))
