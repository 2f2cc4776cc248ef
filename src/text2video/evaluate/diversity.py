"""Diversity of one prompt's clips, next to real clips of the same prompt: do they spread over
the frame like real ones, or collapse onto a few near-identical videos (mode collapse)?

Start positions come from `analytic` for generated clips and from the renderer for real ones.
"""
from __future__ import annotations

import numpy as np

# Two clips are near-duplicates when their RMS pixel difference (0..1 scale, on 2x2-pooled
# frames) is below this: what moving a small shape's whole path by a tenth of a pixel gives.
# Real clips of one prompt differ by their start and speed: of 12,800 (200 shapes prompts x 64)
# 0.05% have a neighbour this close (the closest pair: 0.0037), circles none (closest: 0.024).
DUPLICATE_RMS = 0.005
# A prompt is flagged as collapsed when at least this share of its clips has a near-duplicate.
# Real clips: about 0.0005, a generator with a single mode: 1.
COLLAPSED_SHARE = 0.25


def pairwise_rms(videos: np.ndarray) -> np.ndarray:
    """(N, N) RMS difference between uint8 clips (N, T, H, W, 3), on a 0..1 scale, computed on
    2x2-pooled frames (a quarter of the work, same verdicts) through one Gram matrix."""
    n, t, h, w, c = videos.shape
    x = videos[:, :, : h // 2 * 2, : w // 2 * 2].astype(np.float32) / 255.0
    x = x.reshape(n, t, h // 2, 2, w // 2, 2, c).mean((3, 5)).reshape(n, -1)
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None] - 2.0 * (x @ x.T), 0.0) / x.shape[1]
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(d2)


def spread(starts: np.ndarray) -> float:
    """RMS distance of start positions (N, 2, as fractions of the frame) from their mean."""
    finite = starts[np.isfinite(starts).all(1)]
    return float(np.sqrt(((finite - finite.mean(0)) ** 2).sum(1).mean())) if len(finite) > 1 else float("nan")


def _mean_offdiagonal(d: np.ndarray) -> float:
    n = len(d)
    return float(d.sum() / (n * (n - 1))) if n > 1 else float("nan")


def duplicate_share(d: np.ndarray) -> float:
    """Share of clips whose nearest other clip is a near-duplicate."""
    if len(d) < 2:
        return 0.0
    nearest = np.where(np.eye(len(d), dtype=bool), np.inf, d).min(1)
    return float(np.mean(nearest < DUPLICATE_RMS))


def diversity(videos: np.ndarray, starts: np.ndarray, real_videos: np.ndarray, real_starts: np.ndarray) -> dict:
    """Diversity figures of one prompt's clips, each with its real reference and their ratio."""
    d, real_d = pairwise_rms(videos), pairwise_rms(real_videos)
    share = duplicate_share(d)
    out = {
        "start_spread": spread(starts),
        "real_start_spread": spread(real_starts),
        "pairwise_rms": _mean_offdiagonal(d),
        "real_pairwise_rms": _mean_offdiagonal(real_d),
        "duplicate_share": share,
        "collapsed": bool(share >= COLLAPSED_SHARE),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        out["spread_ratio"] = out["start_spread"] / out["real_start_spread"]
        out["pairwise_ratio"] = out["pairwise_rms"] / out["real_pairwise_rms"]
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in out.items()}
