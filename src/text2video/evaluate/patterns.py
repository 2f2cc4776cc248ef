"""Measurements and checks of the motions other than straight: bouncing, zigzagging, rotating,
shrinking and expanding. `analytic` finds the object in every frame and calls these on its
centroids, areas, bounding boxes and turn moments; each check passes where it does not apply.

Turns are read from the pixels: the k-th angular moment sum(coverage * z^k) about the centroid
(z = x + iy) turns by k times the shape's turn, for the k-fold symmetry of each shape (square 4,
triangle 3; a marked circle 1, with z|z|^2). Steps of at most 30 degrees unwrap without doubt.
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from ..grammar import SPEEDS, Attributes
from ..synth import coverage

CHECKS = ("axis", "reversal", "progress", "zigzag", "still", "rotation", "growth")
APPLIES = {  # which motions each check judges
    "axis": ("bouncing",), "reversal": ("bouncing",), "progress": ("zigzagging",), "zigzag": ("zigzagging",),
    "still": ("rotating", "shrinking", "expanding"), "rotation": ("rotating",), "growth": ("shrinking", "expanding"),
}
ORDER = {"circle": 1, "square": 4, "triangle": 3}  # symmetry of each shape, as it turns

# --- thresholds: real clips of the patterns preset and of every shape (64x64 and 32x32), see
# docs/EVALUATOR.md; "real" is the worst of them, the wrong twins in tests measure far away.
MIN_STEP = 0.005  # of the side per frame: a smaller centroid step is standing still; real >= 0.01.
MAX_ACROSS = 0.02  # of the side: range across a bounce's axis; real 0.
EDGE_PX = 4.0  # pixels between the object and the edge where a bounce turns; real 2 to 3 (margin, halo).
MIN_PROGRESS = 1 / 3  # of the side, along a zigzag's axis; real >= 0.35.
MIN_SWING = 0.1  # of the side, across a zigzag's axis between two turns; real >= 0.15.
MIN_TURNS = 2
MAX_STILL = 0.02  # of the side: largest distance of the centroid from its mean; real 0.006.
MIN_TURN = 175.0  # degrees over the clip: half a turn, less measuring noise; real >= 179.
MAX_TURN_STEP = 33.0  # degrees between frames: 30, plus noise; real <= 24 at 16 frames.
MAX_UNSTEADY = 0.25  # std / mean of a turn's or an area's steps between frames; real 0.1.
MIN_MARK = 0.5  # turn moment over the ideal shape's: a plain disc has none; real 0.8.
MIN_AREA_RATIO = 2.0  # first to last frame (last to first: expanding); real >= 2.4.


@functools.lru_cache(maxsize=None)
def _ideal(shape: str, mark: bool) -> tuple[float, float, float, float]:
    """(phase of the turn moment at angle 0, its strength, area in squared half-widths, centroid
    right of the shape's centre in half-widths: the mark moves it) of the ideal upright shape,
    drawn large by the renderer."""
    r, side = 16.0, 64
    xs = torch.arange(side, dtype=torch.float32) + 0.5 - side / 2
    cover = coverage(shape, xs.view(1, -1), xs.view(-1, 1), torch.tensor(r), None, mark).double().numpy()
    area = cover.sum()
    centre = ((cover.sum(0) * xs.numpy()).sum() / area, (cover.sum(1) * xs.numpy()).sum() / area)
    z = (xs.numpy()[None, :] - centre[0]) + 1j * (xs.numpy()[:, None] - centre[1])
    moment, strength = _moment(cover[None], z[None], ORDER[shape])
    return float(np.angle(moment[0])), float(strength[0]), float(area / r**2), float(centre[0] / r)


def shape_area(shape: str, mark: bool) -> float:
    """Area in squared half-widths as the renderer draws it, the mark's spot cut out."""
    return _ideal(shape, mark)[2]


def centre_offset(shape: str, mark: bool) -> float:
    """How far right of the shape's centre its centroid lies when upright, in half-widths."""
    return _ideal(shape, mark)[3]


def _moment(mass: np.ndarray, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(turn moment (F,), its size over the largest it could be (F,)) of mass (F, H, W) about z."""
    r = np.abs(z)
    weight = z**k if k > 1 else z * r**2
    return (mass * weight).sum((1, 2)), np.abs((mass * weight).sum((1, 2))) / (mass * r ** (k + 2 * (k == 1))).sum((1, 2))


def turn_angles(mass: np.ndarray, centroid: np.ndarray, shapes: list[str], marks: list[bool]) -> tuple[np.ndarray, np.ndarray]:
    """(angle of each frame in radians, clockwise from upright, modulo the shape's symmetry;
    strength of its turn moment over the ideal shape's) for frames mass (F, H, W)."""
    f, h, w = mass.shape
    angle, strength = np.full(f, np.nan), np.full(f, np.nan)
    z = (np.arange(w) + 0.5)[None, None, :] - centroid[:, 0, None, None] + 1j * ((np.arange(h) + 0.5)[None, :, None] - centroid[:, 1, None, None])
    for i in range(f):
        if not np.isfinite(centroid[i]).all():
            continue
        k = ORDER[shapes[i]]
        phase, ideal = _ideal(shapes[i], marks[i])[:2]
        moment, s = _moment(mass[i : i + 1], z[i : i + 1], k)
        angle[i] = (np.angle(moment[0]) - phase) / k
        strength[i] = s[0] / ideal
    return angle, strength


def _turn_frames(x: np.ndarray, side: int) -> tuple[np.ndarray, list[int]]:
    """Signs of the steps of a coordinate x (T,) (0: standing still) and the frames where the
    motion reverses."""
    step = np.diff(x)
    sign = np.where(np.abs(step) > MIN_STEP * side, np.sign(step), 0.0)
    moving = np.flatnonzero(sign)
    return sign, [int(moving[j + 1]) for j in range(len(moving) - 1) if sign[moving[j]] != sign[moving[j + 1]]]


def measure(centroid: np.ndarray, area: np.ndarray, gaps: np.ndarray, angle: np.ndarray, strength: np.ndarray,
            attributes: list[Attributes], side: int) -> dict[str, np.ndarray]:
    """Per-clip measurements of the patterns: centroid (N, T, 2) and gaps (N, T, 4: left, right,
    top, bottom) in pixels, area (N, T), angle and strength (N, T). NaN where they do not apply."""
    n, t = area.shape
    out = {k: np.full(n, np.nan) for k in ("across", "reversals", "edge_gap", "path", "progress", "unsteady",
                                           "turns", "swing", "still", "turn", "turn_step", "mark", "area_ratio")}
    for i, a in enumerate(attributes):
        c = centroid[i]
        if a.motion == "moving" or not np.isfinite(c).all():
            continue
        if a.motion in ("bouncing", "zigzagging"):
            axis = 1 if a.direction == "vertically" else 0
            along, across = c[:, axis], c[:, 1 - axis]
        if a.motion == "bouncing":
            sign, turns = _turn_frames(along, side)
            out["across"][i] = np.ptp(across) / side
            out["reversals"][i] = len(turns)
            # where it turns, the gap to the edge it was heading for: right or bottom when it went up in x or y
            heading = [2 * axis + (sign[f - 1] > 0) for f in turns]
            out["edge_gap"][i] = max((gaps[i, f, e] for f, e in zip(turns, heading)), default=np.nan)
            out["path"][i] = np.abs(np.diff(along)).sum() / side
        elif a.motion == "zigzagging":
            steps = np.diff(along)
            out["progress"][i] = abs(along[-1] - along[0]) / side
            out["unsteady"][i] = steps.std() / max(abs(steps.mean()), 1e-9) if (np.sign(steps) == np.sign(steps.mean())).all() else np.inf
            _, turns = _turn_frames(across, side)
            out["turns"][i] = len(turns)
            out["swing"][i] = np.abs(np.diff(across[turns])).min() / side if len(turns) >= 2 else 0.0
        else:
            out["still"][i] = np.hypot(*(c - c.mean(0)).T).max() / side
        if a.motion == "rotating":
            steps = np.degrees(np.angle(np.exp(1j * ORDER[a.shape] * np.diff(angle[i]))) / ORDER[a.shape])
            out["turn"][i] = steps.sum()
            out["turn_step"][i] = np.abs(steps).max()
            out["unsteady"][i] = steps.std() / max(abs(steps.mean()), 1e-9)
            out["mark"][i] = np.nanmin(strength[i])
        if a.motion in ("shrinking", "expanding"):
            log_steps = np.diff(np.log(area[i]))
            out["area_ratio"][i] = area[i, -1] / area[i, 0]
            grows = np.sign(log_steps) == (1 if a.motion == "expanding" else -1)
            out["unsteady"][i] = log_steps.std() / max(abs(log_steps.mean()), 1e-9) if grows.all() else np.inf
    return out


def judge(m: dict[str, np.ndarray], attributes: list[Attributes]) -> dict[str, np.ndarray]:
    """Check name -> (N,) bool; a check passes where its motion is not asked, fails on NaN."""
    motion = np.array([a.motion for a in attributes])
    sense = np.array([1.0 if a.direction == "clockwise" else -1.0 for a in attributes])
    ratio = np.where(motion == "expanding", m["area_ratio"], 1 / m["area_ratio"])
    with np.errstate(invalid="ignore", divide="ignore"):
        passed = {
            "axis": m["across"] <= MAX_ACROSS,
            "reversal": (m["reversals"] >= 1) & (m["edge_gap"] <= EDGE_PX),
            "progress": (m["progress"] >= MIN_PROGRESS) & (m["unsteady"] <= MAX_UNSTEADY),
            "zigzag": (m["turns"] >= MIN_TURNS) & (m["swing"] >= MIN_SWING),
            "still": m["still"] <= MAX_STILL,
            "rotation": (sense * m["turn"] >= MIN_TURN) & (m["turn_step"] <= MAX_TURN_STEP)
            & (m["unsteady"] <= MAX_UNSTEADY) & (m["mark"] >= MIN_MARK),
            "growth": (ratio >= MIN_AREA_RATIO) & (m["unsteady"] <= MAX_UNSTEADY),
        }
    return {k: np.where(np.isin(motion, APPLIES[k]), v, True) for k, v in passed.items()}


def path_speed_ok(m: dict[str, np.ndarray], attributes: list[Attributes], tolerance: float) -> np.ndarray:
    """(N,) the distance a bounce covers along its axis is in the asked band; True elsewhere."""
    band = np.array([SPEEDS[a.speed] for a in attributes]).reshape(-1, 2)
    with np.errstate(invalid="ignore"):
        ok = (m["path"] >= band[:, 0] - tolerance) & (m["path"] <= band[:, 1] + tolerance)
    return np.where([a.motion == "bouncing" for a in attributes], ok, True)

