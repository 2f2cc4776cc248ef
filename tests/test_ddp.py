"""Data-parallel training: two CPU processes (gloo) under torchrun train one `tiny` model.

One interrupted run and one resumed run are shared by the tests (about 12 s each); rank 1 is
sent Ctrl-C alone after its third step, as a terminal or a scheduler might.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from text2video.data import make_dataset
from text2video.distributed import Dist
from text2video.errors import UserError
from text2video.synth import VideoConfig
from text2video.data import RealClips
from text2video.train import Trainer, get_config

WORKER = Path(__file__).with_name("ddp_worker.py")


def torchrun(record: Path, interrupt_at: int, *train_args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(WORKER),
           str(record), str(interrupt_at), "train", "--preset", "tiny", "--device", "cpu", *train_args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def ranks(record: Path) -> list[tuple[int, str]]:
    """(step, weights checksum) of rank 0 and rank 1 when training returned."""
    rows = [(record / f"rank{r}.txt").read_text().split() for r in (0, 1)]
    return [(int(step), checksum) for step, checksum in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    run = root / "run"
    first = torchrun(root / "first", 3, "--steps", "20", "--out", str(run))
    first_log = (run / "log.jsonl").read_text()
    second = torchrun(root / "second", 0, "--steps", "5", "--out", str(run), "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    return {"root": root, "run": run, "first": first, "first_log": first_log, "second": second}


@pytest.mark.slow
def test_ctrl_c_on_one_rank_stops_every_rank_after_the_same_step(runs):
    assert runs["first"].returncode != 0 and runs["first"].stderr.count("text2video train: interrupted") == 2
    assert [step for step, _ in ranks(runs["root"] / "first")] == [3, 3]
    assert json.loads((runs["run"] / "checkpoints" / "latest.json").read_text())["step"] == 5  # after the resume


@pytest.mark.slow
def test_replicas_hold_identical_weights(runs):
    for record in ("first", "second"):
        (_, a), (_, b) = ranks(runs["root"] / record)
        assert a == b, f"rank 1's weights drifted from rank 0's in the {record} run"


@pytest.mark.slow
def test_rank_zero_alone_writes_log_and_checkpoints(runs):
    for record in ("first", "second"):
        assert (runs["root"] / record / "saved-by-rank0").exists()
        assert not (runs["root"] / record / "saved-by-rank1").exists()
    steps = [json.loads(line)["step"] for line in runs["first_log"].splitlines()]
    assert steps == [1, 2, 3]
    assert runs["second"].stdout.count("trained 5 steps") == 1


@pytest.mark.slow
def test_resume_loads_the_checkpoint_on_every_rank(runs):
    assert "resumed" in runs["second"].stderr and [step for step, _ in ranks(runs["root"] / "second")] == [5, 5]
    steps = [json.loads(line)["step"] for line in (runs["run"] / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]


def test_ranks_draw_disjoint_clips_and_an_epoch_shows_every_clip_once(tmp_path):
    video = VideoConfig(frames=4, height=16, width=16)
    data = make_dataset(tmp_path / "data", "circles", 24, video=video, progress=False)
    ranks = [RealClips(str(data), video, None, np.random.default_rng(r), r, 2, seed=7) for r in (0, 1)]
    epoch = [clips.batch(6, step)[0].flatten(1) for step in (0, 1) for clips in ranks]  # 2 steps of 12 clips
    assert len(torch.cat(epoch).unique(dim=0)) == 24
    nxt = [clips.batch(6, 2)[0].flatten(1) for clips in ranks]
    assert not torch.equal(torch.cat(nxt), torch.cat(epoch[:2])), "the next epoch repeats the first's order"


def test_a_global_batch_that_does_not_split_over_the_ranks_is_refused(tmp_path):
    with pytest.raises(UserError, match="batch size 5 does not split over 2 processes"):
        Trainer(get_config("tiny", batch_size=5), "circles", tmp_path, dist=Dist(0, 2))
