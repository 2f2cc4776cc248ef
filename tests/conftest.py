import numpy as np
import pytest
import torch

from text2video.synth import VideoConfig
from text2video.train import Trainer, get_config

# Test configs are tiny: one thread beats two, and by far when other work holds the cores.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def small_video():
    """A small clip format that keeps tests fast while still showing motion."""
    return VideoConfig(frames=8, height=32, width=32)


@pytest.fixture(scope="module")
def run5(tmp_path_factory):
    """A tiny run trained to its first checkpoint (step 5); tests work on copies of it."""
    out = tmp_path_factory.mktemp("run5") / "run"
    Trainer(get_config("tiny"), "circles", out, seed=0).fit(steps=get_config("tiny").checkpoint_every, progress=False)
    return out


@pytest.fixture
def run(run5, tmp_path):
    import shutil

    return shutil.copytree(run5, tmp_path / "run")
