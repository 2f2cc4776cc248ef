"""The renderer draws what the prompt says: seeded, inside the frame, moving the right way."""
import hashlib
import math

import numpy as np
import pytest

from text2video.data import ClipSource
from text2video.errors import UserError
from text2video.presets import get_preset
from text2video.synth import DIRECTIONS, SPEEDS, Attributes, VideoConfig, parse_prompt, render, sample_clips


def shapes_clips(n, seed, video=VideoConfig()):
    return ClipSource(get_preset("shapes"), "all", video).sample(n, np.random.default_rng(seed))


def centroids(videos):
    """Intensity-weighted centroid per frame, in pixels: (N, T, 2) as (x, y)."""
    mass = videos.astype(np.float64).sum(-1)  # (N, T, H, W)
    total = mass.sum((2, 3))
    ys, xs = np.arange(videos.shape[2]) + 0.5, np.arange(videos.shape[3]) + 0.5
    cx = (mass.sum(2) * xs).sum(-1) / total
    cy = (mass.sum(3) * ys).sum(-1) / total
    return np.stack([cx, cy], -1)


def test_same_seed_gives_identical_bytes():
    a, _ = shapes_clips(40, seed=7)
    b, _ = shapes_clips(40, seed=7)
    c, _ = shapes_clips(40, seed=8)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_default_clips_are_16_frames_of_64x64_rgb():
    videos, _ = shapes_clips(3, seed=0)
    assert videos.shape == (3, 16, 64, 64, 3) and videos.dtype == np.uint8


@pytest.mark.parametrize("video", [VideoConfig(), VideoConfig(frames=8, height=32, width=32)])
def test_object_is_fully_inside_every_frame(video):
    videos, _ = shapes_clips(300, seed=1, video=video)
    lit = videos.max(-1) > 0  # (N, T, H, W)
    border = lit[..., 0, :].any(-1) | lit[..., -1, :].any(-1) | lit[..., :, 0].any(-1) | lit[..., :, -1].any(-1)
    assert not border.any(), "an object touches the frame edge"
    assert lit.any((2, 3)).all(), "an object left the frame"


def test_centroid_moves_in_the_prompts_direction_at_its_speed():
    videos, batch = shapes_clips(400, seed=2)
    path = centroids(videos)
    side = videos.shape[2]
    moved = (path[:, -1] - path[:, 0]) / side
    for a, step in zip(batch.attributes, moved):
        angle = math.degrees(math.atan2(step[1], step[0]))
        want = math.degrees(math.atan2(DIRECTIONS[a.direction][1], DIRECTIONS[a.direction][0]))
        error = abs((angle - want + 180) % 360 - 180)
        assert error < 2.0, f"{a} moved at {angle:.1f} deg"
        lo, hi = SPEEDS[a.speed]
        assert lo - 0.01 <= np.hypot(*step) <= hi + 0.01, f"{a} travelled {np.hypot(*step):.3f}"


def test_centroid_path_is_straight_and_steady():
    videos, _ = shapes_clips(100, seed=3)
    path = centroids(videos)
    steps = np.diff(path, axis=1)  # (N, T-1, 2)
    assert np.abs(steps - steps.mean(1, keepdims=True)).max() < 0.15  # pixels


def test_start_positions_spread_over_the_frame():
    _, batch = ClipSource(get_preset("circles")).sample(500, np.random.default_rng(4))
    assert batch.start.std(0).min() > 0.12  # a centred start would give 0


def test_shapes_are_filled_and_upright():
    video = VideoConfig(frames=2, height=64, width=64)
    combos = [Attributes(shape=s, size="large", direction="right", speed="slowly") for s in ("circle", "square", "triangle")]
    batch = sample_clips(combos, video, np.random.default_rng(0))
    coverage = render(batch)[:, 0, ..., 0] / 255.0  # (3, H, W)
    area = coverage.sum((1, 2)) / (64 * 0.105) ** 2  # in squared half-widths
    assert area == pytest.approx([math.pi, 4.0, math.sqrt(3)], rel=0.03)
    for shape, frame, (x, y) in zip(("circle", "square", "triangle"), coverage, batch.path[:, 0]):
        centre = frame[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2]
        assert centre.min() > 0.98, f"the {shape} is not filled around its centroid"
    widths = coverage[2].sum(1)
    widths = widths[widths > 1]
    third = len(widths) // 3
    assert widths[:third].mean() < 0.5 * widths[-third:].mean(), "the triangle's point is not up"


def test_infeasible_speed_for_frame_is_a_clear_error():
    tiny = VideoConfig(frames=4, height=16, width=16, margin_px=3)
    a = Attributes(shape="square", size="large", direction="right", speed="quickly")
    with pytest.raises(UserError, match="cannot stay inside"):
        sample_clips([a], tiny, np.random.default_rng(0))


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("circle moving down", {"shape": "circle", "direction": "down"}),
        ("a circle moving up right", {"shape": "circle", "direction": "up-right"}),
        ("The small red square moving left quickly", {"size": "small", "colour": "red", "shape": "square", "direction": "left", "speed": "quickly"}),
    ],
)
def test_prompts_parse_into_attributes(prompt, expected):
    assert parse_prompt(prompt) == expected


@pytest.mark.parametrize("prompt, message", [("circle moving up down", "opposite"), ("circle square", "two shapes"), ("circle moving sideways", "unknown word 'sideways'")])
def test_bad_prompts_are_explained(prompt, message):
    with pytest.raises(UserError, match=message):
        parse_prompt(prompt)


@pytest.mark.parametrize("preset, digest", [("circles", "1c0058729a677a20"), ("shapes", "7a2d343b584a86ad")])
def test_straight_clips_are_the_bytes_version_1_drew(preset, digest):
    """Shipped models and their evaluations were made from these bytes: new motions change none."""
    videos, batch = ClipSource(get_preset(preset), "all").sample(300, np.random.default_rng(123))
    train, _ = ClipSource(get_preset(preset), "train").sample(100, np.random.default_rng(5))
    assert hashlib.sha256(videos.tobytes() + batch.path.tobytes() + train.tobytes()).hexdigest()[:16] == digest
