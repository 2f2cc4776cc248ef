"""How each motion of the grammar moves a shape: one function per motion, drawing random clips.

A motion maps N clips' attributes, the clip format and a random generator to a `Motion`: the
centroid per frame, the shape's scale and turn per frame, and the distance it covers. `synth`
calls them through `MOTIONS` and draws the result; every function keeps the whole shape inside
the frame in every frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import UserError
from .grammar import DIRECTIONS, SIZES, SPEEDS, Attributes

if TYPE_CHECKING:
    from .synth import VideoConfig

# How far each shape reaches from its centroid, in half-widths: (left, right, up, down).
EXTENT = {
    "circle": (1.0, 1.0, 1.0, 1.0),
    "square": (1.0, 1.0, 1.0, 1.0),
    "triangle": (1.0, 1.0, 2 / math.sqrt(3), 1 / math.sqrt(3)),
}
# How far a shape reaches at any angle: its circumradius, in half-widths.
REACH = {"circle": 1.0, "square": math.sqrt(2), "triangle": 2 / math.sqrt(3)}
MAX_TURN_STEP = math.pi / 6  # 30 degrees between frames: a turn any frame rate follows
TURN = (math.pi, 2 * math.pi)  # half a turn to a whole one over the clip
ZIGZAG_PROGRESS = (0.35, 0.5)  # along the axis over the clip, of the side
ZIGZAG_SWING = (0.15, 0.25)  # across the axis between two turns, of the side
AREA_RATIO = (2.5, 3.5)  # first to last frame of a shrinking clip (last to first: expanding)
# Pixels kept clear beyond the margin by the new motions, which put shapes on their limits:
# anti-aliasing reaches up to a pixel past a triangle's corner.
HALO = 1.0


@dataclass
class Motion:
    """Per-frame geometry of N clips, in pixels and radians (clockwise on screen)."""

    path: np.ndarray  # (N, T, 2) centroid (x, y)
    distance: np.ndarray  # (N,) distance covered over the clip, fraction of the side
    scale: np.ndarray  # (N, T) half-width over the named size's
    angle: np.ndarray  # (N, T) turn of the shape from upright


# A trajectory maps clip time t in [0, 1] (T,), unit directions (N, 2) and distances (N,) to
# offsets from the start (N, T, 2), in fractions of the side. Its extent must scale linearly
# with the distance, which is how `moving` finds the largest distance that keeps it inside.


def linear(t: np.ndarray, direction: np.ndarray, distance: np.ndarray) -> np.ndarray:
    return t[None, :, None] * (distance[:, None, None] * direction[:, None, :])


TRAJECTORIES = {"linear": linear}


def _radius(attributes: list[Attributes], side: int) -> np.ndarray:
    return np.array([SIZES[a.size] for a in attributes]) * side  # (N,) pixels


def _fixed(n: int, t: int, path: np.ndarray, distance: np.ndarray) -> Motion:
    return Motion(path, distance, np.ones((n, t)), np.zeros((n, t)))


def moving(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    """Straight at constant speed: a random speed in the band, a random start that fits."""
    n = len(attributes)
    direction = np.array([DIRECTIONS[a.direction] for a in attributes]).reshape(n, 2)
    radius = _radius(attributes, c.side)
    extent = np.array([EXTENT[a.shape] for a in attributes]).reshape(n, 4) * radius[:, None]
    room = np.stack(
        [c.width - extent[:, 0] - extent[:, 1], c.height - extent[:, 2] - extent[:, 3]], 1
    ) - 2 * c.margin_px  # (N, 2) pixels the centroid may travel along x and y
    t = np.linspace(0.0, 1.0, c.frames)
    unit = TRAJECTORIES[c.trajectory](t, direction, np.ones(n)) * c.side  # path of distance 1
    span = unit.max(1) - unit.min(1)  # (N, 2)
    with np.errstate(divide="ignore"):
        longest = np.where(span > 0, room / np.where(span > 0, span, 1), np.inf).min(1)
    band = np.array([SPEEDS[a.speed] for a in attributes]).reshape(n, 2)
    _feasible(attributes, longest < band[:, 0], c)
    speed = rng.uniform(band[:, 0], np.minimum(band[:, 1], longest))
    offsets = unit * speed[:, None, None]  # (N, T, 2) pixels
    lo = c.margin_px + extent[:, [0, 2]] - offsets.min(1)
    hi = np.array([c.width, c.height]) - c.margin_px - extent[:, [1, 3]] - offsets.max(1)
    start = lo + rng.random((n, 2)) * (hi - lo)
    return _fixed(n, c.frames, start[:, None, :] + offsets, speed)


def _feasible(attributes: list[Attributes], short: np.ndarray, c: VideoConfig) -> None:
    if short.any():
        a = attributes[int(np.argmax(short))]
        raise UserError(f"a {a.size} {a.shape} {a.motion} {a.direction} {a.speed} cannot stay inside a "
                        f"{c.height}x{c.width} frame; use larger frames or a smaller margin")


def _frames_for(attributes: list[Attributes], c: VideoConfig, least: int) -> None:
    if c.frames < least:
        raise UserError(f"{attributes[0].motion} needs at least {least} frames to show, got {c.frames}")


def _axis(attributes: list[Attributes]) -> np.ndarray:
    """(N,) index of the coordinate the motion runs along: 1 (y) vertically, 0 (x) horizontally."""
    return np.array([a.direction == "vertically" for a in attributes], dtype=int)


def _place(offsets: np.ndarray, reach: np.ndarray, attributes, c: VideoConfig, rng) -> np.ndarray:
    """(N, 2) random starts keeping a shape that reaches reach (N, T, 4) pixels (left, right,
    up, down) from its centroid inside the frame at every offset (N, T, 2) from the start."""
    margin = c.margin_px + HALO
    lo = (margin + reach[..., [0, 2]] - offsets).max(1)
    hi = (np.array([c.width, c.height]) - margin - reach[..., [1, 3]] - offsets).min(1)
    _feasible(attributes, (hi < lo).any(1), c)
    return lo + rng.random(lo.shape) * (hi - lo)


def _upright(attributes: list[Attributes], c: VideoConfig, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """(N, T, 4) pixels each shape reaches, upright, at a scale (N, T) or constant."""
    extent = np.array([EXTENT[a.shape] for a in attributes]).reshape(-1, 4) * _radius(attributes, c.side)[:, None]
    return extent[:, None, :] * np.broadcast_to(scale, (len(attributes), c.frames))[..., None]


def bouncing(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    """Along the axis at constant speed, reversing where the shape meets the frame's edge (less
    the margin and halo), on a frame chosen at random in the middle three fifths of the clip."""
    n, t_ = len(attributes), c.frames
    _frames_for(attributes, c, 4)
    axis = _axis(attributes)
    reach = _upright(attributes, c)
    band = np.array([SPEEDS[a.speed] for a in attributes]).reshape(n, 2)
    distance = rng.uniform(band[:, 0], band[:, 1]) * c.side  # (N,) pixels, both legs together
    turn = rng.integers(max(1, round(0.2 * (t_ - 1))), min(t_ - 2, round(0.8 * (t_ - 1))) + 1, n)
    toward = rng.choice([-1.0, 1.0], n)  # the edge it meets: -1 the top or left one, +1 the other
    size = np.array([c.width, c.height])[axis]
    rows = np.arange(n)
    near = c.margin_px + HALO + reach[rows, 0, 2 * axis]  # (N,) lowest centroid coordinate along the axis
    far = size - c.margin_px - HALO - reach[rows, 0, 2 * axis + 1]
    edge = np.where(toward > 0, far, near)
    leg = distance * turn / (t_ - 1)  # to the edge
    along = edge[:, None] - toward[:, None] * np.abs(leg[:, None] - distance[:, None] * np.linspace(0, 1, t_))
    _feasible(attributes, (along < near[:, None] - 1e-6).any(1) | (along > far[:, None] + 1e-6).any(1), c)
    offsets = np.zeros((n, t_, 2))
    offsets[rows, :, axis] = along
    start = _place(offsets, reach, attributes, c, rng)  # only the coordinate across the axis is free
    start[rows, axis] = 0.0
    return _fixed(n, t_, start[:, None, :] + offsets, distance / c.side)


def zigzagging(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    """Steady progress along the axis, one way or the other, while swinging across it in
    straight strokes of a whole number of frames, turning on frames: at least two turns."""
    n, t_ = len(attributes), c.frames
    _frames_for(attributes, c, 7)
    axis = _axis(attributes)
    stroke = rng.integers(2, (t_ - 1) // 3 + 1, n)  # frames between turns
    phase = rng.integers(0, stroke)  # frame of the first turn, 0 when it starts on one
    swing = rng.uniform(*ZIGZAG_SWING, n) * c.side
    progress = rng.uniform(*ZIGZAG_PROGRESS, n) * c.side * rng.choice([-1.0, 1.0], n)
    x = (np.arange(t_)[None] - phase[:, None]) / stroke[:, None]  # turns where x is whole
    across = swing[:, None] * np.abs(np.mod(x, 2.0) - 1.0) * rng.choice([-1.0, 1.0], n)[:, None]
    offsets = np.zeros((n, t_, 2))
    offsets[np.arange(n), :, axis] = progress[:, None] * np.linspace(0, 1, t_)
    offsets[np.arange(n), :, 1 - axis] = across
    start = _place(offsets, _upright(attributes, c), attributes, c, rng)
    return _fixed(n, t_, start[:, None, :] + offsets, np.abs(progress) / c.side)


def _in_place(attributes, c: VideoConfig, rng, reach: np.ndarray) -> np.ndarray:
    """(N, T, 2) a still centroid that keeps a shape reaching reach (N, T, 4) inside."""
    start = _place(np.zeros((len(attributes), c.frames, 2)), reach, attributes, c, rng)
    return np.repeat(start[:, None, :], c.frames, 1)


def rotating(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    """In place at a steady rate, half a turn to a whole one over the clip, from a random angle;
    at most 30 degrees between frames."""
    n, t_ = len(attributes), c.frames
    _frames_for(attributes, c, 7)
    total = rng.uniform(TURN[0], min(TURN[1], MAX_TURN_STEP * (t_ - 1)), n)
    sense = np.array([1.0 if a.direction == "clockwise" else -1.0 for a in attributes])
    angle = rng.uniform(0, 2 * math.pi, n)[:, None] + (sense * total)[:, None] * np.linspace(0, 1, t_)
    reach = np.array([REACH[a.shape] for a in attributes]) * _radius(attributes, c.side)
    path = _in_place(attributes, c, rng, np.repeat(reach[:, None, None], 4, -1).repeat(t_, 1))
    return Motion(path, np.zeros(n), np.ones((n, t_)), angle)


def _scaling(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator, grow: float) -> Motion:
    """In place, upright, its half-width changing by a constant factor a frame: the named size
    halfway through the clip, the area ratio of first and last frames in AREA_RATIO."""
    n, t_ = len(attributes), c.frames
    ratio = np.sqrt(rng.uniform(*AREA_RATIO, n))  # of half-widths
    scale = ratio[:, None] ** (grow * (np.linspace(0, 1, t_) - 0.5))
    path = _in_place(attributes, c, rng, _upright(attributes, c, scale))
    return Motion(path, np.zeros(n), scale, np.zeros((n, t_)))


def shrinking(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    return _scaling(attributes, c, rng, -1.0)


def expanding(attributes: list[Attributes], c: VideoConfig, rng: np.random.Generator) -> Motion:
    return _scaling(attributes, c, rng, 1.0)


MOTIONS = {f.__name__: f for f in (moving, bouncing, zigzagging, rotating, shrinking, expanding)}
