import numpy as np
import pytest

from text2video.synth import VideoConfig


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def small_video():
    """A small clip format that keeps tests fast while still showing motion."""
    return VideoConfig(frames=8, height=32, width=32)
