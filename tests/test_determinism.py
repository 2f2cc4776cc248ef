"""Determinism: same seed and options, identical bytes and training states. Training runs use the
tiny preset on one thread, so they take seconds."""
import json

from text2video import checkpoint as ckpt
from text2video import data
from text2video.train import Trainer

from faults import TINY, assert_same_training_state, cli

def test_make_dataset_twice_writes_identical_bytes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "SHARD_CLIPS", 8)  # several shards from a few clips
    for name in ("a", "b"):
        code, err = cli(["make-dataset", "--preset", "shapes", "--n", 20, "--seed", 3, "--frames", 4, "--size", 16,
                         "--out", tmp_path / name], capsys)
        assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["manifest.json", "shard-00000.npy", "shard-00001.npy", "shard-00002.npy"]
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_twenty_training_steps_are_bit_identical_across_runs(tmp_path):
    runs = []
    for name in ("a", "b"):  # one after the other: noise comes from torch's global generator
        runs.append(Trainer(TINY, "circles", tmp_path / name, seed=7))
        runs[-1].fit(steps=20, progress=False)
    assert_same_training_state(*(ckpt.latest_checkpoint(t.out) for t in runs))
    losses = [[(r["loss_d"], r["loss_g"]) for r in map(json.loads, (t.out / "log.jsonl").read_text().splitlines())]
              for t in runs]
    assert len(losses[0]) == 20 and losses[0] == losses[1]
