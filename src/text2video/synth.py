"""Synthetic shape videos: clips sampled from prompts' attributes and a vectorised renderer.

Lengths are fractions of the frame side (min of height and width), so a preset means the same
thing at any resolution. `grammar` says what a prompt may ask, `motion` how each motion moves,
`presets` picks which combinations exist; `data` stores them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .errors import UserError
from .grammar import (ATTRIBUTES, COLOURS, DIRECTIONS, DOMAINS, MOTIONS, SHAPES, SIZES, SPEEDS, UNSAID, Attributes,
                      attributes_for, grammar_words, parse_prompt)
from .motion import MOTIONS as MOTION_FUNCTIONS
from .motion import TRAJECTORIES, linear

__all__ = ["ATTRIBUTES", "COLOURS", "DIRECTIONS", "DOMAINS", "GENERATOR_VERSION", "MARK", "MOTIONS", "SHAPES", "SIZES",
           "SPEEDS", "TRAJECTORIES", "UNSAID", "Attributes", "ClipBatch", "VideoConfig", "attributes_for", "coverage",
           "grammar_words", "linear", "marked", "parse_prompt", "render", "sample_clips"]

# Straight clips are drawn as they were by version 1; new motions add clips, they change none.
GENERATOR_VERSION = "1"
# A rotating circle's dark spot, in half-widths: its centre's distance from the disc's centre
# (at angle 0 it lies to the right) and its radius. A plain disc that turns shows nothing.
MARK = (0.5, 0.3)


def marked(a: Attributes) -> bool:
    """Whether a clip's shape carries the mark that shows its turn: circles that rotate."""
    return a.shape == "circle" and a.motion == "rotating"


@dataclass(frozen=True)
class VideoConfig:
    """Clip format and look. Defaults: 16 frames of 64x64 RGB on black."""

    frames: int = 16
    height: int = 64
    width: int = 64
    background: tuple[int, int, int] = (0, 0, 0)
    trajectory: str = "linear"
    margin_px: float = 1.0  # clear pixels kept between the shape and the frame edge

    def __post_init__(self):
        if self.frames < 2:
            raise UserError(f"frames must be at least 2 to show motion, got {self.frames}")
        if min(self.height, self.width) < 8:
            raise UserError(f"frames must be at least 8x8 pixels, got {self.height}x{self.width}")
        if self.trajectory not in TRAJECTORIES:
            raise UserError(f"trajectory {self.trajectory!r} is not one of {', '.join(TRAJECTORIES)}")
        if len(self.background) != 3 or not all(0 <= c <= 255 for c in self.background):
            raise UserError(f"background must be three values in 0..255, got {self.background}")

    @property
    def side(self) -> int:
        return min(self.height, self.width)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "VideoConfig":
        data = dict(data)
        data["background"] = tuple(data.get("background", (0, 0, 0)))
        return cls(**data)


@dataclass
class ClipBatch:
    """Sampled parameters of N clips; `render` turns them into pixels."""

    attributes: list[Attributes]
    speed: np.ndarray  # (N,) distance travelled, fraction of the side
    path: np.ndarray  # (N, T, 2) centroid (x, y) in pixels per frame
    config: VideoConfig = field(default_factory=VideoConfig)
    scale: np.ndarray | None = None  # (N, T) half-width over the named size's; None: all 1
    angle: np.ndarray | None = None  # (N, T) radians clockwise from upright; None: all 0

    @property
    def start(self) -> np.ndarray:
        """(N, 2) start position as a fraction of (width, height)."""
        c = self.config
        return self.path[:, 0] / np.array([c.width, c.height])


def sample_clips(attributes: list[Attributes], config: VideoConfig, rng: np.random.Generator) -> ClipBatch:
    """Random clips of each motion (`motion.MOTIONS`): a random start, speed or phase as the
    motion allows, the whole shape inside the frame. Clips are drawn motion by motion, straight
    ones first, so a batch of straight clips draws exactly as version 1 did."""
    n, c = len(attributes), config
    motions = np.array([a.motion for a in attributes])
    speed, path = np.zeros(n), np.zeros((n, c.frames, 2))
    scale, angle = np.ones((n, c.frames)), np.zeros((n, c.frames))
    for name, draw in MOTION_FUNCTIONS.items():
        idx = np.flatnonzero(motions == name)
        if len(idx) == 0:
            continue
        m = draw([attributes[i] for i in idx], c, rng)
        speed[idx], path[idx], scale[idx], angle[idx] = m.distance, m.path, m.scale, m.angle
    return ClipBatch(list(attributes), speed, path, c, scale, angle)


def coverage(shape: str, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, angle: torch.Tensor | None = None,
             mark: bool = False) -> torch.Tensor:
    """Anti-aliased coverage in [0, 1] from a signed distance in pixels.

    dx (n, T, 1, W) and dy (n, T, H, 1) are pixel centres minus the centroid; r is (n, 1, 1, 1)
    or (n, T, 1, 1); angle (n, T, 1, 1) turns the shape clockwise; mark cuts the MARK spot out.
    """
    if mark:  # the spot turns about the centroid: turn its centre, not every pixel (1.6x faster)
        along = MARK[0] * r
        ox, oy = (along, 0.0) if angle is None else (along * torch.cos(angle), along * torch.sin(angle))
        spot = torch.hypot(dx - ox, dy - oy) - MARK[1] * r
        return (coverage(shape, dx, dy, r, angle) - spot.neg_().add_(0.5).clamp_(0.0, 1.0)).clamp_(0.0, 1.0)
    if angle is not None and shape != "circle":  # the pixel offsets seen from the turned shape
        cos, sin = torch.cos(angle), torch.sin(angle)
        dx, dy = cos * dx + sin * dy, cos * dy - sin * dx
    if shape == "circle":
        sdf = torch.hypot(dx, dy) - r
    elif shape == "square":
        sdf = torch.maximum(dx.abs(), dy.abs()) - r
    else:  # equilateral, point up, centroid at the origin: max of its three edge distances
        inradius = r / math.sqrt(3)
        sides = (-0.5 * dy - inradius) + (math.sqrt(3) / 2) * dx.abs()
        sdf = torch.maximum(sides, dy - inradius)
    return sdf.neg_().add_(0.5).clamp_(0.0, 1.0)


@torch.no_grad()
def render(batch: ClipBatch, chunk: int = 64) -> np.ndarray:
    """Pixels of a ClipBatch: uint8 (N, T, H, W, 3). Bit-identical for identical parameters."""
    c = batch.config
    n = len(batch.attributes)
    out = np.empty((n, c.frames, c.height, c.width, 3), dtype=np.uint8)
    xs = torch.arange(c.width, dtype=torch.float32) + 0.5
    ys = torch.arange(c.height, dtype=torch.float32) + 0.5
    bg = torch.tensor(c.background, dtype=torch.float32)
    path = torch.from_numpy(batch.path).float()
    radius = torch.tensor([SIZES[a.size] * c.side for a in batch.attributes], dtype=torch.float32)
    rgb = torch.tensor([COLOURS[a.colour] for a in batch.attributes], dtype=torch.float32).reshape(n, 3)
    shapes = np.array([a.shape for a in batch.attributes])
    scale = torch.ones(n, c.frames) if batch.scale is None else torch.from_numpy(batch.scale).float()
    angle = torch.zeros(n, c.frames) if batch.angle is None else torch.from_numpy(batch.angle).float()
    # Upright shapes of constant size take the version-1 path, which keeps their bytes.
    kind = np.array([2 * marked(a) + 1 for a in batch.attributes]) * ((scale != 1) | (angle != 0)).any(1).numpy()
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        alpha = torch.empty(hi - lo, c.frames, c.height, c.width)
        for shape, k in ((s, k) for s in SHAPES for k in (0, 1, 3)):
            idx = torch.from_numpy(np.flatnonzero((shapes[lo:hi] == shape) & (kind[lo:hi] == k)))
            if len(idx) == 0:
                continue
            p = path[lo + idx]  # (n, T, 2)
            dx = xs.view(1, 1, 1, -1) - p[..., 0, None, None]
            dy = ys.view(1, 1, -1, 1) - p[..., 1, None, None]
            r = radius[lo + idx].view(-1, 1, 1, 1)
            if k == 0:
                alpha[idx] = coverage(shape, dx, dy, r)
            else:
                turn = angle[lo + idx, :, None, None]
                alpha[idx] = coverage(shape, dx, dy, r * scale[lo + idx, :, None, None], turn, mark=k == 3)
        delta = (rgb[lo:hi] - bg).view(-1, 1, 1, 1, 3)
        target = torch.from_numpy(out[lo:hi])
        for ch in range(3):  # one channel at a time: broadcasting over a trailing 3 is slow
            target[..., ch] = (alpha * delta[..., ch]).add_(bg[ch] + 0.5).to(torch.uint8)  # +0.5 rounds
    return out
