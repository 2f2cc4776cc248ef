"""Nothing unsafe is loaded: no pickle runs, from checkpoints, models or datasets. Training runs use
the tiny preset on one thread, so they take seconds."""
import json

import numpy as np
import pytest
import torch

import text2video
from text2video import checkpoint as ckpt
from text2video import data
from text2video.data import VideoDataset, make_dataset
from text2video.errors import UserError
from text2video.files import read_json

from faults import Payload, assert_one_line_error, cli, train_argv

def test_optimizer_state_that_would_run_code_is_refused_and_never_run(run, tmp_path, capsys):
    state = ckpt.latest_checkpoint(run)
    marker = tmp_path / "pwned"
    torch.save({"g": Payload(marker), "d": {}, "u": {}}, state / "optimizers.pt")
    ckpt.write_checksums(state, ckpt.STATE_FILES)  # the attacker rewrote the checksums too
    code, err = cli(train_argv(run, "--steps", 6, "--resume"), capsys)
    assert_one_line_error(code, err, "optimizers.pt is refused: it is not plain tensors and numbers")
    assert not marker.exists()
    torch.load(state / "optimizers.pt", weights_only=False)  # the payload is live: a plain unpickle runs it
    assert marker.exists()


def test_models_load_without_unpickling_anything(run, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    model = text2video.load(run)
    assert model.generate("circle moving up", n=1).shape == (1, 4, 16, 16, 3)


def test_dataset_shard_of_pickled_objects_is_refused(tmp_path, small_video):
    root = make_dataset(tmp_path / "d", "circles", 4, video=small_video, progress=False)
    marker = tmp_path / "pwned"
    shard = root / "shard-00000.npy"
    np.save(shard, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    manifest = read_json(root / "manifest.json")
    manifest["shards"][0]["sha256"] = data.sha256(shard)
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="shard-00000.npy is truncated or corrupt"):
        VideoDataset(root)
    assert not marker.exists()
