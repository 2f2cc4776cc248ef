"""Turning per-clip verdicts into the evaluation report: the JSON-ready summary, the printed
table (per prompt, seen and held-out apart) and the figure (bars per prompt, frame strips).

`pipeline` gathers the verdicts; this module only aggregates and presents them.
"""
from __future__ import annotations

import io
import math
from collections import Counter
from pathlib import Path

import numpy as np

from ..files import atomic_write, write_json
from ..synth import ATTRIBUTES
from . import analytic, classifier, diversity

GROUPS = {"all": None, "seen": False, "heldout": True}
FVD_NOTE = (
    "FVD-style: the Fréchet distance between Gaussians fitted to real and generated clips' "
    "penultimate features of the evaluator's own classifier; not comparable with I3D-based FVD."
)
MEASUREMENTS = ("presence", "clutter", "direction_error", "travel", "jitter", "iou", "size_variation", "saturation")


def thresholds() -> dict:
    """Every pass threshold, written into each report so that a number can be recomputed."""
    names = ["FOREGROUND", "MIN_AREA", "MAX_AREA", "MIN_PRESENCE", "MAX_CLUTTER", "MAX_DIRECTION_ERROR", "MIN_TRAVEL",
             "SPEED_TOLERANCE", "MAX_JITTER", "MIN_IOU", "MAX_SIZE_VARIATION", "MAX_HUE_ERROR", "GREY_SATURATION"]
    out = {k.lower(): getattr(analytic, k) for k in names}
    out.update(duplicate_rms=diversity.DUPLICATE_RMS, collapsed_share=diversity.COLLAPSED_SHARE)
    return out


def _rate(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def _nanmean(values: list[float]) -> float:
    """Mean of the defined values; NaN, without numpy's warning, when none is (no object found)."""
    values = np.asarray(values, dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def summarise(cases, n: int, clips: dict, rows: list[dict], meta: dict | None) -> dict:
    """The report: per-prompt rows, overall figures per group, the classifier's credentials."""
    verdicts = clips["verdicts"]
    correct = np.concatenate([v.correct for v in verdicts])
    checks = {c: np.concatenate([v.checks[c] for v in verdicts]) for c in analytic.CHECKS}
    measured = {k: np.concatenate([v.measurements[k] for v in verdicts]) for k in MEASUREMENTS}
    reasons = [r for v in verdicts for r in v.reasons]
    hits = {a: np.concatenate([h[a] for h in clips["hits"]]) for a in ATTRIBUTES} if clips["hits"] else {}
    if hits:
        hits["all"] = np.logical_and.reduce([hits[a] for a in ATTRIBUTES])
    heldout = np.repeat([c.heldout for c in cases], n)
    prompts = []
    for i, (case, div) in enumerate(zip(cases, rows)):
        part = slice(i * n, (i + 1) * n)
        prompts.append({
            "prompt": case.prompt,
            "heldout": case.heldout,
            "attributes": case.attributes.to_json(),
            "clips": n,
            "correct": _rate(correct[part]),
            "checks": {c: _rate(v[part]) for c, v in checks.items()},
            "failures": dict(Counter(r for r in reasons[part] if r)),
            "median": {k: float(np.nanmedian(v[part])) if np.isfinite(v[part]).any() else None for k, v in measured.items()},
            "classifier": {a: _rate(v[part]) for a, v in hits.items()},
            "diversity": div,
        })
    overall = {}
    for group, flag in GROUPS.items():
        keep = np.ones_like(heldout) if flag is None else heldout == flag
        group_rows = [r for r, c in zip(rows, cases) if flag is None or c.heldout == flag]
        if not keep.any():
            continue
        entry = {
            "prompts": len(group_rows),
            "clips": int(keep.sum()),
            "correct": _rate(correct[keep]),
            "checks": {c: _rate(v[keep]) for c, v in checks.items()},
            "classifier": {a: _rate(v[keep]) for a, v in hits.items()},
            "spread_ratio": _nanmean([r["spread_ratio"] for r in group_rows]),
            "duplicate_share": float(np.mean([r["duplicate_share"] for r in group_rows])),
            "collapsed_prompts": sum(r["collapsed"] for r in group_rows),
        }
        if clips["features"] and keep.sum() > 1:
            feats, real = np.concatenate(clips["features"]), np.concatenate(clips["real_features"])
            entry["frechet_distance"] = classifier.frechet_distance(real[keep], feats[keep])
        overall[group] = entry
    judge = None
    if meta is not None:
        judge = {k: meta[k] for k in ("real_accuracy", "eval_clips", "train_seconds", "cached")}
        judge["note"] = FVD_NOTE
    return {"clips_per_prompt": n, "overall": overall, "prompts": prompts, "classifier": judge, "thresholds": thresholds()}


def _pct(x) -> str:
    return "   -  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}%"


def format_table(report: dict) -> str:
    """The report as text: one line per prompt under 'seen' and 'held-out' (its median direction
    error in degrees under 'angle'), then the totals."""
    overall = report["overall"]
    lines = [f"text2video evaluate: {report.get('source', 'clips')} on preset {report['preset']}, "
             f"{overall['all']['prompts']} prompts x {report['clips_per_prompt']} clips", ""]
    # the median direction error shows a lean the direction check (< 22.5 degrees) lets pass
    head = f"  {'prompt':<40} {'correct':>7} {'judge':>7} {'spread':>6} {'dup':>6} {'angle':>6}  main failure"
    for group, title in (("seen", "seen prompts"), ("heldout", "held-out prompts")):
        rows = [p for p in report["prompts"] if p["heldout"] == (group == "heldout")]
        if not rows:
            continue
        lines += [f"{title} ({len(rows)})", head]
        for p in rows:
            fail = max(p["failures"].items(), key=lambda kv: kv[1], default=None)
            why = f"{fail[0]} ({fail[1]}/{p['clips']})" if fail else ""
            d, angle = p["diversity"], p["median"].get("direction_error")
            angle = "     -" if angle is None else f"{angle:5.1f}°"
            lines.append(f"  {p['prompt']:<40} {_pct(p['correct'])} {_pct(p['classifier'].get('all'))} "
                         f"{d['spread_ratio']:6.2f} {_pct(d['duplicate_share'])} {angle}  {why}")
    lines.append("")
    for group, entry in overall.items():
        name = {"all": "overall", "seen": "seen", "heldout": "held-out"}[group]
        fd = f", Fréchet distance {entry['frechet_distance']:.3f}" if "frechet_distance" in entry else ""
        lines.append(f"{name:>9}: {_pct(entry['correct'])} correct of {entry['clips']} clips ({entry['prompts']} prompts){fd}")
    a = overall["all"]
    lines.append("checks passed: " + ", ".join(f"{c} {_pct(v).strip()}" for c, v in a["checks"].items()))
    if a["classifier"]:
        lines.append("classifier agrees with the prompt: " + ", ".join(f"{k} {_pct(v).strip()}" for k, v in a["classifier"].items()))
    judge = report["classifier"]
    if judge:
        where = "cached" if judge["cached"] else f"trained in {judge['train_seconds']:.0f} s"
        lines.append(f"classifier accuracy on {judge['eval_clips']} fresh real clips ({where}): "
                     + ", ".join(f"{k} {_pct(v).strip()}" for k, v in judge["real_accuracy"].items()))
        weak = [k for k, v in judge["real_accuracy"].items() if v < classifier.REQUIRED_ACCURACY]
        if weak:
            lines.append(f"warning: the classifier is below {classifier.REQUIRED_ACCURACY:.0%} on real clips for "
                         f"{', '.join(weak)}; its verdicts there are unreliable")
        lines.append("Fréchet distance: " + FVD_NOTE)
    lines.append(f"diversity: start spread {a['spread_ratio']:.2f}x real, near-duplicates {_pct(a['duplicate_share']).strip()}, "
                 f"collapsed prompts {a['collapsed_prompts']}")
    lines.append(f"evaluated in {report['seconds']:.1f} s (classifier training excluded)")
    return "\n".join(lines)


def _json_ready(x):
    """NaN is not JSON: write null instead; numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if math.isnan(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def figure_path(json_path: str | Path) -> Path:
    return Path(json_path).with_suffix(".png")


def write(evaluation, json_path: str | Path) -> tuple[Path, Path]:
    """Write the JSON report and, next to it, the figure (same name, .png)."""
    json_path = Path(json_path)
    write_json(json_path, _json_ready(evaluation.report))
    png = figure_path(json_path)
    with atomic_write(png) as f:
        f.write(figure(evaluation))
    return json_path, png


def figure(evaluation, strips: int = 8, frames: int = 8) -> bytes:
    """PNG: % correct per prompt (and the classifier's agreement), then frame strips of examples."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = evaluation.report
    prompts = report["prompts"]
    by_prompt = {p["prompt"]: p for p in prompts}
    held = [e for e in evaluation.examples if by_prompt[e[0]]["heldout"]]
    seen = [e for e in evaluation.examples if not by_prompt[e[0]]["heldout"]]
    examples = (seen[: strips - min(len(held), strips // 2)] + held)[:strips]
    fig = plt.figure(figsize=(12, 4 + 1.2 * len(examples)), layout="constrained")
    grid = fig.add_gridspec(1 + len(examples), 1, height_ratios=[3] + [1.2] * len(examples))
    ax = fig.add_subplot(grid[0])
    x = np.arange(len(prompts))
    colours = ["tab:orange" if p["heldout"] else "tab:blue" for p in prompts]
    ax.bar(x - 0.2, [100 * p["correct"] for p in prompts], 0.4, color=colours, label="analytic: correct")
    if prompts and prompts[0]["classifier"]:
        ax.bar(x + 0.2, [100 * p["classifier"]["all"] for p in prompts], 0.4, color=colours, alpha=0.45,
               label="classifier: all attributes as asked")
    ax.set_xticks(x, [p["prompt"] for p in prompts], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("% of clips")
    ax.set_ylim(0, 105)
    ax.set_title(f"{report['preset']}: blue = seen prompts, orange = held-out prompts")
    ax.legend(loc="lower right", fontsize=8)
    for row, (prompt, ok, clip) in enumerate(examples, start=1):
        pick = np.linspace(0, len(clip) - 1, min(frames, len(clip))).round().astype(int)
        sub = fig.add_subplot(grid[row])
        sub.imshow(np.concatenate([np.pad(clip[t], ((1, 1), (1, 1), (0, 0)), constant_values=128) for t in pick], 1))
        sub.set_axis_off()
        sub.set_title(f"{prompt}: {'correct' if ok else 'incorrect'}", fontsize=8, loc="left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()
