import numpy as np
import pytest
import torch

from text2video.synth import VideoConfig

# Test configs are tiny: one thread beats two, and by far when other work holds the cores.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def small_video():
    """A small clip format that keeps tests fast while still showing motion."""
    return VideoConfig(frames=8, height=32, width=32)
