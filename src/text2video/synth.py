"""Synthetic shape videos: the prompt grammar, motion trajectories and a vectorised renderer.

Grammar: `[a|the] [small|large] [colour] <shape> moving <direction> [slowly|quickly]`.
Lengths are fractions of the frame side (min of height and width), so a preset means the same
thing at any resolution. `presets` picks which combinations exist; `data` stores them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .errors import UserError
from .text import tokenize

GENERATOR_VERSION = "1"

SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "white": (255, 255, 255),
}
# Half-width of the shape. "medium" is the unsaid size; large leaves room for the fastest path.
SIZES = {"small": 0.065, "medium": 0.085, "large": 0.105}
# Distance travelled over the whole clip. "normal" is the unsaid speed.
SPEEDS = {"slowly": (0.15, 0.30), "normal": (0.30, 0.50), "quickly": (0.50, 0.75)}
_S = math.sqrt(0.5)
# Unit vectors in image coordinates (x right, y down).
DIRECTIONS = {
    "up": (0.0, -1.0),
    "down": (0.0, 1.0),
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up-right": (_S, -_S),
    "up-left": (-_S, -_S),
    "down-right": (_S, _S),
    "down-left": (-_S, _S),
}
UNSAID = {"size": "medium", "speed": "normal"}
ATTRIBUTES = ("shape", "colour", "size", "direction", "speed")
# How far each shape reaches from its centroid, in half-widths: (left, right, up, down).
_EXTENT = {
    "circle": (1.0, 1.0, 1.0, 1.0),
    "square": (1.0, 1.0, 1.0, 1.0),
    "triangle": (1.0, 1.0, 2 / math.sqrt(3), 1 / math.sqrt(3)),
}


def grammar_words() -> list[str]:
    """Every word a prompt may use (articles aside), in a fixed order: the default vocabulary."""
    words = ["small", "large", *COLOURS, *SHAPES, "moving", "up", "down", "left", "right"]
    return words + ["slowly", "quickly"]


@dataclass(frozen=True)
class Attributes:
    """What a clip shows. Every field is set; `prompt` leaves out what a preset does not say."""

    shape: str = "circle"
    colour: str = "white"
    size: str = "medium"
    direction: str = "right"
    speed: str = "normal"

    def __post_init__(self):
        for name, domain in _DOMAINS.items():
            if getattr(self, name) not in domain:
                raise UserError(f"{name} {getattr(self, name)!r} is not one of {', '.join(domain)}")

    def prompt(self, said: tuple[str, ...] = ATTRIBUTES) -> str:
        size = self.size if "size" in said and self.size != "medium" else ""
        colour = self.colour if "colour" in said else ""
        speed = self.speed if "speed" in said and self.speed != "normal" else ""
        words = [size, colour, self.shape, "moving", self.direction, speed]
        return " ".join(w for w in words if w)

    def matches(self, rule: dict[str, str]) -> bool:
        return all(getattr(self, k) == v for k, v in rule.items())

    def to_json(self) -> dict:
        return asdict(self)


_DOMAINS = {
    "shape": SHAPES,
    "colour": tuple(COLOURS),
    "size": tuple(SIZES),
    "direction": tuple(DIRECTIONS),
    "speed": tuple(SPEEDS),
}
_WORD_ATTRIBUTE = {w: a for a in ("shape", "colour") for w in _DOMAINS[a]}
_WORD_ATTRIBUTE.update({"small": "size", "large": "size", "slowly": "speed", "quickly": "speed"})


def parse_prompt(prompt: str) -> dict[str, str]:
    """The attributes a prompt states, e.g. {"shape": "circle", "direction": "up-right"}.

    Word order is free, "up right" and "up-right" are the same direction; unknown words,
    two values for one attribute and contradictory directions are errors.
    """
    found: dict[str, str] = {}
    vertical, horizontal = [], []
    for word in tokenize(prompt):
        if word == "moving":
            continue
        if word in ("up", "down"):
            vertical.append(word)
            continue
        if word in ("left", "right"):
            horizontal.append(word)
            continue
        attr = _WORD_ATTRIBUTE.get(word)
        if attr is None:
            known = ", ".join(grammar_words())
            raise UserError(f"unknown word {word!r} in prompt {prompt!r}; known words: {known}")
        if attr in found and found[attr] != word:
            raise UserError(f"prompt {prompt!r} names two {attr}s: {found[attr]} and {word}")
        found[attr] = word
    if len(set(vertical)) > 1 or len(set(horizontal)) > 1:
        raise UserError(f"prompt {prompt!r} names opposite directions; say e.g. 'up-right'")
    if vertical or horizontal:
        found["direction"] = "-".join(vertical[:1] + horizontal[:1])
    return found


def attributes_for(prompt: str) -> Attributes:
    """The clip a prompt describes, with unsaid attributes at their defaults (white, medium,
    normal speed). A prompt must at least say which way to move."""
    stated = parse_prompt(prompt)
    if "direction" not in stated:
        raise UserError(f"prompt {prompt!r} says no direction; add one of {', '.join(DIRECTIONS)}")
    return Attributes(**stated)


# --- trajectories -------------------------------------------------------------------------
# A trajectory maps clip time t in [0, 1] (T,), unit directions (N, 2) and distances (N,) to
# offsets from the start (N, T, 2), in fractions of the side. Its extent must scale linearly
# with the distance (true of straight lines, zigzags and circles), which is how the renderer
# finds the largest distance that keeps the path inside the frame.


def linear(t: np.ndarray, direction: np.ndarray, distance: np.ndarray) -> np.ndarray:
    return t[None, :, None] * (distance[:, None, None] * direction[:, None, :])


TRAJECTORIES = {"linear": linear}


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

    @property
    def start(self) -> np.ndarray:
        """(N, 2) start position as a fraction of (width, height)."""
        c = self.config
        return self.path[:, 0] / np.array([c.width, c.height])


def sample_clips(attributes: list[Attributes], config: VideoConfig, rng: np.random.Generator) -> ClipBatch:
    """Random speed in each clip's band and a random start that keeps the whole path inside."""
    n, c = len(attributes), config
    direction = np.array([DIRECTIONS[a.direction] for a in attributes]).reshape(n, 2)
    radius = np.array([SIZES[a.size] for a in attributes]) * c.side  # (N,) pixels
    extent = np.array([_EXTENT[a.shape] for a in attributes]).reshape(n, 4) * radius[:, None]
    room = np.stack(
        [c.width - extent[:, 0] - extent[:, 1], c.height - extent[:, 2] - extent[:, 3]], 1
    ) - 2 * c.margin_px  # (N, 2) pixels the centroid may travel along x and y
    t = np.linspace(0.0, 1.0, c.frames)
    unit = TRAJECTORIES[c.trajectory](t, direction, np.ones(n)) * c.side  # path of distance 1
    span = unit.max(1) - unit.min(1)  # (N, 2)
    with np.errstate(divide="ignore"):
        longest = np.where(span > 0, room / np.where(span > 0, span, 1), np.inf).min(1)
    band = np.array([SPEEDS[a.speed] for a in attributes]).reshape(n, 2)
    short = longest < band[:, 0]
    if short.any():
        a = attributes[int(np.argmax(short))]
        raise UserError(
            f"a {a.size} {a.shape} moving {a.direction} {a.speed} cannot stay inside a "
            f"{c.height}x{c.width} frame; use larger frames or a smaller margin"
        )
    speed = rng.uniform(band[:, 0], np.minimum(band[:, 1], longest))
    offsets = unit * speed[:, None, None]  # (N, T, 2) pixels
    lo = c.margin_px + extent[:, [0, 2]] - offsets.min(1)
    hi = np.array([c.width, c.height]) - c.margin_px - extent[:, [1, 3]] - offsets.max(1)
    start = lo + rng.random((n, 2)) * (hi - lo)
    return ClipBatch(list(attributes), speed, start[:, None, :] + offsets, c)


def _coverage(shape: str, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Anti-aliased coverage in [0, 1] from a signed distance in pixels.

    dx (n, T, 1, W) and dy (n, T, H, 1) are pixel centres minus the centroid; r is (n, 1, 1, 1).
    """
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
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        alpha = torch.empty(hi - lo, c.frames, c.height, c.width)
        for shape in SHAPES:
            idx = torch.from_numpy(np.flatnonzero(shapes[lo:hi] == shape))
            if len(idx) == 0:
                continue
            p = path[lo + idx]  # (n, T, 2)
            dx = xs.view(1, 1, 1, -1) - p[..., 0, None, None]
            dy = ys.view(1, 1, -1, 1) - p[..., 1, None, None]
            alpha[idx] = _coverage(shape, dx, dy, radius[lo + idx].view(-1, 1, 1, 1))
        delta = (rgb[lo:hi] - bg).view(-1, 1, 1, 1, 3)
        target = torch.from_numpy(out[lo:hi])
        for ch in range(3):  # one channel at a time: broadcasting over a trailing 3 is slow
            target[..., ch] = (alpha * delta[..., ch]).add_(bg[ch] + 0.5).to(torch.uint8)  # +0.5 rounds
    return out
