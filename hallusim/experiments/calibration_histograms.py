"""The paper's Figure 2 in simulation: calibration before and after post-training for 0-1 grading.

A population of multiple-choice questions (A–D by default). The *pretrained-like* model's
probabilities over the choices come from random logits, and each question's correct answer is
drawn from those very probabilities, so the model is calibrated by construction (Dawid's sense:
among the choices given probability ``q``, a ``q`` fraction are correct, up to sampling noise).
The *post-trained* model divides the logits by a temperature ``T < 1``: optimising for 0-1
grading sharpens the distribution toward its argmax (``T → 0`` is the argmax itself). The argmax,
hence the accuracy of the most likely answer, is unchanged; the calibration is lost.

For both models the experiment reports ECE (every answer choice binned, as in the GPT-4
technical report's Figure 8 reprinted as the paper's Figure 2, and top-label), the generative
error ``err`` (sampling an answer from the model), the error of the argmax answer, the IIV
quantities of Theorem 1 with δ at ``1/min|E_c|`` and ``max_z δ_z`` over all thresholds (exact:
:func:`hallusim.multiple_choice.multiple_choice_arrays` feeds :func:`hallusim.iiv.dense_metrics`),
and the Theorem 4 bound ``err ≥ 2(1 − 1/C)·min_{t ∈ [0,1]} err_iiv(f̂_t)``
(:func:`hallusim.multiple_choice.theorem4_check`, whose curve also gives δ_z).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_choice, check_float, check_int
from hallusim.iiv import dense_metrics
from hallusim.multiple_choice import multiple_choice_arrays, theorem4_check
from hallusim.plotting.posttraining import plot_calibration_histograms
from hallusim.posttraining.calibration import reliability_diagram
from hallusim.runs import sweep, write_table

SUMMARY = "Figure 2 in simulation: calibration histograms (ECE) of a calibrated pretrained-like model and a 0-1-sharpened post-trained model, with err and δ."
OUTPUTS = (
    "figures/calibration_histograms.png",
    "figures/calibration_histograms.pdf",
    "results/calibration_histograms.csv",
)

# Every preset key: (meaning, unit); `hallusim run calibration_histograms --help` lists them with their preset values.
KEYS = {
    "n_questions": ("multiple-choice questions", "questions"),
    "n_choices": ("choices per question (4: A-D)", "choices"),
    "logit_scale": ("question i's logits are σ_i·N(0, 1), σ_i uniform on [0, logit_scale]", "logit units"),
    "post_temperature": ("post-trained logits = pretrained logits / T (T < 1 sharpens toward the argmax)", ""),
    "n_bins": ("bins of the calibration histograms", "bins"),
    "binning": ("equal_width or equal_mass bins", ""),
    "replicates": ("independent question sets", "sets"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (2.5, 228, "measured, load 1.0"),
    "medium": (2.6, 228, "measured, load 1.5"),
    "paper": (19.1, 467, "measured, load 0.6-1.6"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/calibration_histograms.png": (
        "Figure 2 of the paper in simulation. Top and middle: calibration histograms of a calibrated "
        "pretrained-like model and the post-trained model (logits divided by the temperature T < 1 of the "
        "preset). Every answer choice of every question is binned by the model's probability (equal-width "
        "bins); a bar is the fraction of choices in the bin that are correct, the number at the top the bin's "
        "count of choices (first replicate); dots are (mean probability, fraction correct) per bin; dashed: "
        "perfect calibration. The title's ECE is this all-choices expected calibration error (bin-weighted "
        "|confidence − accuracy|); the box's top-label ECE bins only each question's most likely choice, so "
        "the two differ. err (sampling): the probability that an answer sampled from the model is wrong; err "
        "of argmax: the error of the most likely choice; δ at 1/|E_c|: the calibration gap |p̂(A) − p(A)| at "
        "the threshold 1/|E_c| (|E_c| = C − 1 wrong choices of C); box values are means over replicates. "
        "Bottom: the gap δ_z = |p̂(A_z) − p(A_z)| at every threshold z (A_z: the choices with p̂ > z); dotted: "
        "z = 1/|E_c|."
    ),
}
MODELS = ("pretrained", "posttrained")
#: Thresholds z at which the exact δ_z curve is tabulated for the figure.
DELTA_Z_GRID = np.linspace(0.0, 1.0, 201)


def _softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def question_population(n_questions, n_choices, logit_scale, seed):
    """Logits of the pretrained-like model and correct answers drawn from its own probabilities.

    Question ``i`` has logits ``σ_i·g_ik`` with ``g_ik`` standard normal and ``σ_i`` uniform on
    ``[0, logit_scale]`` (easy and hard questions); its answer is drawn from ``softmax`` of them.

    Returns
    -------
    logits : ndarray (n_questions, n_choices)
    answers : int ndarray (n_questions,)
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    scale = rng.uniform(0.0, logit_scale, size=(n_questions, 1))
    logits = scale * rng.standard_normal((n_questions, n_choices))
    probs = _softmax(logits)
    cumulative = np.cumsum(probs, axis=1)
    answers = (rng.random((n_questions, 1)) > cumulative).sum(axis=1)
    return logits, np.minimum(answers, n_choices - 1)


def model_metrics(probs, answers, *, n_bins, binning):
    """Calibration and hallucination metrics of one multiple-choice model (flat dict)."""
    iiv = dense_metrics(*multiple_choice_arrays(probs, answers))
    theorem4 = theorem4_check(probs, answers)
    curve = theorem4.curve
    every_choice = reliability_diagram(probs, answers, n_bins=n_bins, binning=binning, variant="all_choices")
    top = reliability_diagram(probs, answers, n_bins=n_bins, binning=binning, variant="top_label")
    return {
        "ece_all_choices": every_choice.ece,
        "ece_top_label": top.ece,
        "err": iiv.err,
        "err_argmax": float(np.mean(np.argmax(probs, axis=1) != answers)),
        "err_iiv": iiv.err_iiv,
        "delta": iiv.delta,
        "max_delta_z": float(curve.delta.max()),
        "cross_entropy": iiv.cross_entropy,
        "theorem1_lower": iiv.theorem1_lower,
        "theorem4_lower": theorem4.bound,
        "bin_lower": every_choice.bin_lower.tolist(),
        "bin_upper": every_choice.bin_upper.tolist(),
        "bin_count": every_choice.counts.tolist(),
        "bin_confidence": every_choice.mean_confidence.tolist(),
        "bin_accuracy": every_choice.accuracy.tolist(),
        "delta_z": curve.delta_at(DELTA_Z_GRID).tolist(),
    }


def replicate(params, seed, *, n_questions, n_choices, logit_scale, n_bins, binning):
    """One population: metrics of the pretrained-like and the post-trained model, prefixed."""
    logits, answers = question_population(n_questions, n_choices, logit_scale, seed)
    row = {"n_questions": n_questions, "n_choices": n_choices}
    for name, temperature in zip(MODELS, (1.0, params["post_temperature"])):
        metrics = model_metrics(_softmax(logits / temperature), answers, n_bins=n_bins, binning=binning)
        row.update({f"{name}_{key}": value for key, value in metrics.items()})
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    check_int("n_questions", config["n_questions"], minimum=1)
    check_int("n_choices", config["n_choices"], minimum=2)
    check_float("logit_scale", config["logit_scale"], low=0.0)
    check_float("post_temperature", config["post_temperature"], low=0.0, low_open=True)
    check_int("n_bins", config["n_bins"], minimum=1)
    check_choice("binning", config["binning"], ("equal_width", "equal_mass"))


def run(config, out_dir, *, sweep_options=None):
    """Run ``replicates`` populations, write the table and the figure; return the rows."""
    check_config(config)
    func = functools.partial(
        replicate,
        n_questions=int(config["n_questions"]),
        n_choices=int(config["n_choices"]),
        logit_scale=float(config["logit_scale"]),
        n_bins=int(config["n_bins"]),
        binning=config["binning"],
    )
    grid = {"post_temperature": [float(config["post_temperature"])]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "calibration_histograms.csv",
                provenance={"experiment": "calibration_histograms", "config": dict(config)})
    plot_calibration_histograms(rows, out_dir / "figures" / "calibration_histograms")
    return rows
