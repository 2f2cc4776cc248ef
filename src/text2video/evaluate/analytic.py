"""Analytic per-clip measurements of what a video shows, and the checks that judge them.

`measure` finds the object (the largest connected foreground component of each frame), fits its
centroid to a straight path and measures direction, speed, jitter, shape, size, colour and
clutter; `patterns` measures the other motions from the same frames. Every length is a fraction
of the frame side, so a check means the same thing at any resolution. `judge` compares the
measurements with the attributes a prompt asks for; a check passes where its motion is not asked.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from ..synth import COLOURS, DIRECTIONS, SHAPES, SIZES, SPEEDS, Attributes, coverage, marked
from . import patterns

CHECKS = ("presence", "clutter", "direction", "speed", "jitter", *patterns.CHECKS, "shape", "size", "size_stability",
          "colour")

# Area of each shape in squared half-widths, as the renderer draws it (synth.coverage).
SHAPE_AREA = {"circle": math.pi, "square": 4.0, "triangle": math.sqrt(3)}

# --- thresholds --------------------------------------------------------------------------
# Each is set from the measured extremes of 5,120 real 64x64 clips of both presets (and 32x32
# ones, where anti-aliasing is coarser), with a wide margin on the real side, and far from what
# the failure cases in tests/test_evaluate.py measure. "real" below: the worst real clip.

# A pixel is foreground when some channel differs from the background by half the asked colour's
# contrast: where the renderer's anti-aliased coverage crosses 1/2, so the mask has the shape's area.
FOREGROUND = 0.5
# A frame holds an object when its largest component is between a quarter of the smallest and
# three times the largest shape the grammar can ask for; noise that floods the frame is no object.
MIN_AREA = 0.25 * min(SHAPE_AREA.values()) * min(SIZES.values()) ** 2
MAX_AREA = 3.0 * max(SHAPE_AREA.values()) * max(SIZES.values()) ** 2
MIN_PRESENCE = 0.9  # share of frames with an object; real 1.0. Forgives one lost frame in 16.
MAX_CLUTTER = 0.1  # stray foreground pixels / object pixels; real 0. A second object gives ~1.
MAX_DIRECTION_ERROR = 22.5  # degrees, half the 45 between neighbouring directions; real 0.3 (1.1 at 32 px).
MIN_TRAVEL = 0.05  # of the side: a third of the slowest band; a frozen clip measures ~0.
SPEED_TOLERANCE = 0.02  # of the side, either side of the asked band; real error 0.0014 (0.005 at 32 px).
MAX_JITTER = 0.01  # RMS distance from the fitted line, of the side; real 0.0008 (0.004 at 32 px).
MIN_IOU = 0.9  # soft IoU with the ideal asked shape; real 0.966, any other shape <= 0.85.
MAX_SIZE_VARIATION = 0.1  # std / mean of the area over frames; real 0.015 (0.05 at 32 px), shrinking ~0.4.
MAX_HUE_ERROR = 30.0  # degrees: half the 60 between neighbouring palette hues; real 0.
GREY_SATURATION = 0.25  # white must stay below, colours reach twice this; real: white 0, colours 1.


def _contrast(attributes: list[Attributes], background) -> np.ndarray:
    """(N,) largest channel difference between the asked colour and the background, 0..255."""
    colour = np.array([COLOURS[a.colour] for a in attributes], dtype=np.float32).reshape(-1, 3)
    return np.maximum(np.abs(colour - np.asarray(background, np.float32)).max(1), 1.0)


def _components(fg: np.ndarray):
    """Largest 8-connected component of every frame of fg (F, H, W) bool.

    Frames are stacked into one tall image with a blank row between them, so a single OpenCV
    call labels all of them. Returns (object mask (F, H, W), object pixels (F,), all pixels (F,)).
    """
    f, h, w = fg.shape
    tall = np.zeros((f, h + 1, w), np.uint8)
    tall[:, :h] = fg
    _, labels, stats, _ = cv2.connectedComponentsWithStats(tall.reshape(-1, w), connectivity=8, ltype=cv2.CV_32S)
    frame = stats[1:, cv2.CC_STAT_TOP] // (h + 1)
    area = stats[1:, cv2.CC_STAT_AREA]
    order = np.lexsort((area, frame))  # by frame, then by area: each frame's largest comes last
    largest = order[np.r_[frame[order][1:] != frame[order][:-1], True]] if len(order) else order
    label = np.full(f, -1)
    label[frame[largest]] = largest + 1
    pixels = np.zeros(f)
    pixels[frame[largest]] = area[largest]
    mask = labels.reshape(f, h + 1, w)[:, :h] == label[:, None, None]
    return mask, pixels, np.bincount(frame, weights=area, minlength=f)


def _ideal_iou(cover: np.ndarray, centroid: np.ndarray, area: np.ndarray, shapes: list[str], marks: np.ndarray,
               angle: np.ndarray) -> np.ndarray:
    """Soft IoU of each frame's coverage (F, H, W) with the ideal shape of the same area at the
    same centroid (F, 2 pixels; area in pixels) and angle (F,), as the renderer would draw it."""
    f, h, w = cover.shape
    iou = np.full(f, np.nan)
    ok = np.isfinite(centroid).all(1) & (area > 0) & np.isfinite(angle)
    xs = torch.arange(w, dtype=torch.float32) + 0.5
    ys = torch.arange(h, dtype=torch.float32) + 0.5
    for shape, mark in ((s, m) for s in SHAPES for m in (False, True)):
        idx = np.flatnonzero(ok & (np.asarray(shapes) == shape) & (marks == mark))
        if len(idx) == 0:
            continue
        r = np.sqrt(area[idx] / patterns.shape_area(shape, mark))
        shift = patterns.centre_offset(shape, mark) * r  # the shape's centre is not its centroid
        c = torch.from_numpy(centroid[idx] - shift[:, None] * np.stack([np.cos(angle[idx]), np.sin(angle[idx])], 1)).float()
        r = torch.from_numpy(r).float().view(-1, 1, 1)
        turn = torch.from_numpy(angle[idx]).float().view(-1, 1, 1) if angle[idx].any() else None
        ideal = coverage(shape, xs.view(1, 1, -1) - c[:, 0, None, None], ys.view(1, -1, 1) - c[:, 1, None, None], r,
                         turn, mark)
        seen = torch.from_numpy(cover[idx])
        iou[idx] = (torch.minimum(seen, ideal).sum((1, 2)) / torch.maximum(seen, ideal).sum((1, 2))).numpy()
    return iou


def _gaps(mask: np.ndarray) -> np.ndarray:
    """(F, 4) background pixels between the object mask (F, H, W) and the left, right, top and
    bottom edges; NaN without an object."""
    out = []
    for lines in (mask.any(1), mask.any(2)):  # columns, then rows
        first = np.argmax(lines, 1).astype(float)
        out += [first, np.argmax(lines[:, ::-1], 1).astype(float)]
    gaps = np.stack(out, 1)
    gaps[~mask.any((1, 2))] = np.nan
    return gaps


def _frames(videos: np.ndarray, contrast: np.ndarray, background, attributes: list[Attributes]) -> dict[str, np.ndarray]:
    """Per-frame measurements of clips (n, T, H, W, 3), flattened to (n*T,) arrays."""
    n, t, h, w, _ = videos.shape
    diff = np.maximum.reduce([np.abs(videos[..., c] - np.float32(background[c])) for c in range(3)])  # (n, T, H, W)
    cover = np.clip(diff / contrast[:, None, None, None], 0.0, 1.0).reshape(n * t, h, w)
    mask, pixels, all_pixels = _components(cover >= FOREGROUND)
    # The object's anti-aliased rim lies just outside the thresholded mask: take the coverage of
    # the mask grown by one pixel, which measures area and centroid to a small fraction of a pixel.
    grown = cv2.dilate(np.pad(mask, ((0, 0), (0, 1), (0, 0))).reshape(-1, w).astype(np.uint8), np.ones((3, 3), np.uint8))
    mass = cover * grown.reshape(n * t, h + 1, w)[:, :h]
    area = mass.sum((1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = (mass.sum(1) * (np.arange(w) + 0.5)).sum(1) / area
        cy = (mass.sum(2) * (np.arange(h) + 0.5)).sum(1) / area
        rgb = (videos.reshape(n * t, h, w, 3) * mask[..., None]).sum((1, 2)) / pixels[:, None]
        stray = (all_pixels - pixels) / pixels
    side2 = min(h, w) ** 2
    present = (area >= MIN_AREA * side2) & (area <= MAX_AREA * side2)
    centroid = np.stack([cx, cy], 1)
    shapes = [a.shape for a in attributes for _ in range(t)]
    marks = np.repeat([marked(a) for a in attributes], t)
    angle, strength = np.zeros(n * t), np.full(n * t, np.nan)
    turning = np.flatnonzero(np.repeat([a.motion == "rotating" for a in attributes], t))
    if len(turning):
        angle[turning], strength[turning] = patterns.turn_angles(
            mass[turning], centroid[turning], [shapes[i] for i in turning], marks[turning].tolist())
    iou = _ideal_iou(mass, centroid, area, shapes, marks, angle)
    return {"present": present, "area": area / side2, "centroid": centroid, "stray": stray, "iou": iou, "rgb": rgb,
            "gaps": _gaps(mask), "angle": angle, "strength": strength}


def _fit_lines(points: np.ndarray, weight: np.ndarray, t: np.ndarray):
    """Least-squares straight lines p(t) = start + t * travel through points (N, T, 2) with
    weights (N, T) in {0, 1}. Returns (start (N, 2), travel (N, 2), RMS residual (N,))."""
    w = weight.astype(np.float64)
    p = np.where(weight[..., None], points, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = w.sum(1)
        t_mean = (w * t).sum(1) / count
        p_mean = (w[..., None] * p).sum(1) / count[:, None]
        dt = t[None] - t_mean[:, None]  # (N, T)
        travel = ((w * dt)[..., None] * (p - p_mean[:, None])).sum(1) / (w * dt**2).sum(1)[:, None]
        fitted = p_mean[:, None] + dt[..., None] * travel[:, None]
        rms = np.sqrt((w * ((p - fitted) ** 2).sum(-1)).sum(1) / count)
    return p_mean - t_mean[:, None] * travel, travel, rms


def _hue_saturation(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hue in degrees and HSV saturation of colours (..., 3) in any positive scale."""
    r, g, b = np.moveaxis(np.asarray(rgb, np.float64), -1, 0)
    hi, lo = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    with np.errstate(invalid="ignore", divide="ignore"):
        hue = np.degrees(np.arctan2(math.sqrt(3) * (g - b), 2 * r - g - b)) % 360  # angle in the chromaticity plane
        return hue, (hi - lo) / hi


def measure(videos: np.ndarray, attributes: list[Attributes], background=(0, 0, 0), chunk: int = 64) -> dict[str, np.ndarray]:
    """Per-clip measurements of uint8 clips (N, T, H, W, 3) against the attributes they should show.

    The attributes set the foreground contrast (from the asked colour) and the ideal shape for
    the IoU; everything else is measured blind. Lengths are fractions of the side min(H, W).
    """
    n, t, h, w, _ = videos.shape
    parts = [
        _frames(videos[lo : lo + chunk], _contrast(attributes[lo : lo + chunk], background), background,
                attributes[lo : lo + chunk])
        for lo in range(0, n, chunk)
    ]
    f = {k: np.concatenate([p[k] for p in parts]).reshape(n, t, *parts[0][k].shape[1:]) for k in parts[0]}
    side, present = min(h, w), f["present"]
    start, travel, jitter = _fit_lines(f["centroid"], present, np.linspace(0.0, 1.0, t))
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # clips without an object give NaN: they fail
        area = np.where(present, f["area"], np.nan)
        hue, saturation = _hue_saturation(np.nanmean(np.where(present[..., None], f["rgb"], np.nan), 1))
        asked = np.array([DIRECTIONS.get(a.direction, (np.nan, np.nan)) for a in attributes]).reshape(n, 2)
        angle = np.degrees(np.arctan2(travel[:, 1], travel[:, 0]) - np.arctan2(asked[:, 1], asked[:, 0]))
        shape_area = np.array([patterns.shape_area(a.shape, marked(a)) for a in attributes])
        centroids = np.where(present[..., None], f["centroid"], np.nan)
        return {
            **patterns.measure(centroids, area, f["gaps"], f["angle"], f["strength"], attributes, side),
            "half_width": np.sqrt(np.nanmedian(area, 1) / shape_area),
            "presence": present.mean(1),
            "clutter": np.nanmean(np.where(present, f["stray"], np.nan), 1),
            "direction_error": np.abs((angle + 180) % 360 - 180),
            "travel": np.hypot(*travel.T) / side,
            "jitter": jitter / side,
            "iou": np.nanmean(np.where(present, f["iou"], np.nan), 1),
            "area": np.nanmedian(area, 1),
            "size_variation": np.nanstd(area, 1) / np.nanmean(area, 1),
            "hue": hue,
            "saturation": saturation,
            "start_x": start[:, 0] / w,
            "start_y": start[:, 1] / h,
        }


def judge(m: dict[str, np.ndarray], attributes: list[Attributes]) -> dict[str, np.ndarray]:
    """Check name -> (N,) bool, True where the clip passes. A NaN measurement fails its check."""
    half_width = m["half_width"]  # of the asked shape, fraction of the side
    moving = np.array([a.motion == "moving" for a in attributes])
    scaling = np.array([a.motion in ("shrinking", "expanding") for a in attributes])
    names = list(SIZES)
    nominal = np.array([SIZES[s] for s in names])
    nearest = np.where(np.isfinite(half_width), np.argmin(np.abs(np.nan_to_num(half_width)[:, None] - nominal), 1), -1)
    band = np.array([SPEEDS[a.speed] for a in attributes]).reshape(-1, 2)
    asked_hue, asked_saturation = _hue_saturation(np.array([COLOURS[a.colour] for a in attributes]).reshape(-1, 3))
    hue_error = np.abs((m["hue"] - asked_hue + 180) % 360 - 180)
    grey = asked_saturation < GREY_SATURATION
    with np.errstate(invalid="ignore"):
        speed = (m["travel"] >= band[:, 0] - SPEED_TOLERANCE) & (m["travel"] <= band[:, 1] + SPEED_TOLERANCE)
        return {
            "presence": m["presence"] >= MIN_PRESENCE,
            "clutter": m["clutter"] <= MAX_CLUTTER,
            "direction": ~moving | (m["direction_error"] < MAX_DIRECTION_ERROR) & (m["travel"] >= MIN_TRAVEL),
            "speed": np.where(moving, speed, patterns.path_speed_ok(m, attributes, SPEED_TOLERANCE)),
            "jitter": ~moving | (m["jitter"] <= MAX_JITTER),
            **patterns.judge(m, attributes),
            "shape": m["iou"] >= MIN_IOU,
            "size": nearest == np.array([names.index(a.size) for a in attributes]),
            "size_stability": scaling | (m["size_variation"] <= MAX_SIZE_VARIATION),
            "colour": np.where(
                grey,
                m["saturation"] < GREY_SATURATION,
                (m["saturation"] >= 2 * GREY_SATURATION) & (hue_error < MAX_HUE_ERROR),
            ),
        }


@dataclass
class Verdicts:
    """What `score` found in N clips: measurements, the check each passes, and the verdict."""

    measurements: dict[str, np.ndarray]
    checks: dict[str, np.ndarray]

    @property
    def correct(self) -> np.ndarray:
        """(N,) bool: every check passes."""
        return np.logical_and.reduce([self.checks[c] for c in CHECKS])

    @property
    def reasons(self) -> list[str | None]:
        """The first failed check of each clip in CHECKS order (the root cause), or None."""
        failed = np.stack([~self.checks[c] for c in CHECKS], 1)
        return [CHECKS[int(np.argmax(row))] if row.any() else None for row in failed]


def score(videos: np.ndarray, attributes: list[Attributes], background=(0, 0, 0)) -> Verdicts:
    """Measure uint8 clips (N, T, H, W, 3) and judge them against the attributes asked of each."""
    m = measure(videos, attributes, background)
    return Verdicts(m, judge(m, attributes))
