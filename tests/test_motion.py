"""Each motion draws what its words say: bounces turn at the edge, zigzags progress and swing,
turns are steady and visible, sizes change by at least twice; seeded, and always inside."""
import math

import numpy as np
import pytest

from text2video.synth import VideoConfig, attributes_for, render, sample_clips

VIDEO = VideoConfig()
PATTERNS = ["circle bouncing vertically", "circle bouncing horizontally", "circle zigzagging vertically",
            "circle zigzagging horizontally", "circle rotating clockwise", "circle rotating counter-clockwise",
            "circle shrinking", "circle expanding"]


def clips(prompt, n=64, seed=0, video=VIDEO):
    return sample_clips([attributes_for(prompt)] * n, video, np.random.default_rng(seed))


@pytest.mark.parametrize("prompt", PATTERNS + ["large triangle rotating clockwise", "large square expanding",
                                               "large triangle zigzagging horizontally"])
@pytest.mark.parametrize("video", [VIDEO, VideoConfig(frames=8, height=32, width=32)])
def test_every_pattern_stays_inside_every_frame(prompt, video):
    lit = render(clips(prompt, video=video)).max(-1) > 0
    border = lit[..., 0, :].any(-1) | lit[..., -1, :].any(-1) | lit[..., :, 0].any(-1) | lit[..., :, -1].any(-1)
    assert not border.any() and lit.any((2, 3)).all()


def test_patterns_are_seeded_and_bit_identical():
    batch = [attributes_for(p) for p in PATTERNS]
    a = render(sample_clips(batch, VIDEO, np.random.default_rng(3)))
    b = render(sample_clips(batch, VIDEO, np.random.default_rng(3)))
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("axis, prompt", [(1, "circle bouncing vertically"), (0, "circle bouncing horizontally")])
def test_a_bounce_turns_once_where_the_shape_meets_the_edge(axis, prompt):
    b = clips(prompt)
    along, across = b.path[..., axis], b.path[..., 1 - axis]
    assert np.ptp(across, 1).max() == 0.0  # no motion across the axis
    steps = np.diff(along, axis=1)
    turns = (np.sign(steps[:, 1:]) != np.sign(steps[:, :-1])).sum(1)
    assert (turns == 1).all()
    size = (VIDEO.height, VIDEO.width)[1 - axis]
    radius = 0.085 * VIDEO.side
    edge_gap = np.minimum(along.min(1) - radius, size - along.max(1) - radius)
    assert (edge_gap <= 2.0 + 1e-6).all()  # margin and anti-aliasing halo: within a couple of pixels


@pytest.mark.parametrize("axis, prompt", [(1, "circle zigzagging vertically"), (0, "circle zigzagging horizontally")])
def test_a_zigzag_progresses_along_its_axis_and_swings_across_it(axis, prompt):
    b = clips(prompt)
    along, across = b.path[..., axis], b.path[..., 1 - axis]
    steps = np.diff(along, axis=1)
    assert (np.abs(along[:, -1] - along[:, 0]) >= VIDEO.side / 3).all()
    assert (np.sign(steps) == np.sign(steps[:, :1])).all()  # steady, one way
    for row in across:
        turn = np.flatnonzero(np.sign(np.diff(row))[1:] != np.sign(np.diff(row))[:-1]) + 1
        assert len(turn) >= 2 and np.abs(np.diff(row[turn])).min() >= 0.1 * VIDEO.side


@pytest.mark.parametrize("prompt, sense", [("circle rotating clockwise", 1), ("square rotating counter-clockwise", -1)])
def test_a_turn_is_steady_in_place_and_at_least_half_a_turn(prompt, sense):
    b = clips(prompt)
    steps = np.diff(b.angle, axis=1)
    assert np.ptp(b.path, 1).max() == 0.0
    assert (sense * steps.sum(1) >= math.pi).all() and (np.abs(steps) <= math.pi / 6 + 1e-9).all()
    assert np.allclose(steps, steps[:, :1])


def test_a_turning_circle_shows_its_turn_in_the_pixels():
    videos = render(clips("circle rotating clockwise", n=4))
    first, later = videos[:, 0], videos[:, 4]
    assert (first != later).any((1, 2, 3)).all()  # same place, different pixels: the mark moved
    assert (first.max(-1) < 128).sum((1, 2)).min() > (64 * 64 - math.pi * (0.085 * 64) ** 2) + 3  # a dark spot inside


@pytest.mark.parametrize("prompt, grows", [("circle shrinking", False), ("circle expanding", True)])
def test_size_changes_steadily_by_at_least_twice_the_area_in_place(prompt, grows):
    b = clips(prompt)
    area = b.scale**2
    ratio = area[:, -1] / area[:, 0]
    assert ((ratio if grows else 1 / ratio) >= 2).all()
    assert ((np.diff(area, axis=1) > 0) == grows).all()
    assert np.ptp(b.path, 1).max() == 0.0
    lit = (render(b).max(-1) > 127).sum((2, 3))  # pixels the shape covers, per frame
    assert ((lit[:, -1] / lit[:, 0] if grows else lit[:, 0] / lit[:, -1]) >= 2).all()


def test_patterns_that_need_frames_to_show_say_so():
    from text2video.errors import UserError

    with pytest.raises(UserError, match="rotating needs at least 7 frames"):
        clips("circle rotating clockwise", video=VideoConfig(frames=4))
