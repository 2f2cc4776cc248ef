"""Writes are atomic: a failed or cut write keeps the previous file and leaves no temporary. Training
runs use the tiny preset on one thread, so they take seconds."""
import errno
import itertools
import os

import numpy as np
import pytest

from text2video import checkpoint as ckpt
from text2video import data, video_io
from text2video.data import VideoDataset, make_dataset
from text2video.errors import UserError
from text2video.files import atomic_write
from text2video.train import Trainer

from faults import EVERY, TINY, latest_step, temporaries

def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_write(path, "w") as f:
            f.write("half of the new")
            raise RuntimeError("crash")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["notes.json"]


@pytest.mark.parametrize("ext", video_io.FORMATS)
def test_video_write_that_fails_keeps_the_previous_file(tmp_path, monkeypatch, ext):
    """The disk fills up while the file is flushed (where write errors surface)."""
    path = tmp_path / f"clip{ext}"
    video_io.save_video(path, np.zeros((4, 16, 16, 3), np.uint8))
    before = path.read_bytes()
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(UserError, match=f"cannot write .*clip{ext}: No space left on device"):
        video_io.save_video(path, np.full((4, 16, 16, 3), 255, np.uint8))
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize("ext, encoder", [(".mp4", "_write_mp4"), (".avi", "_write_avi")])
def test_encoder_that_crashes_midway_leaves_the_previous_file(tmp_path, monkeypatch, ext, encoder):
    """OpenCV and ffmpeg write by file name: they get a temporary sibling, renamed only at the end."""
    path = tmp_path / f"clip{ext}"
    video_io.save_video(path, np.zeros((4, 16, 16, 3), np.uint8))
    before = path.read_bytes()
    real = getattr(video_io, encoder)

    def crash(tmp, video, fps):
        assert tmp.parent == path.parent and tmp.name != path.name
        real(tmp, video[:1], fps)  # part of the clip is on disk
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(video_io, encoder, crash)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        video_io.save_video(path, np.full((4, 16, 16, 3), 255, np.uint8))
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


def test_checkpoint_write_that_fails_keeps_the_last_checkpoint(run, monkeypatch):
    real = ckpt.save_weights

    def fail_on_critics(path, modules):
        if path.name != "discriminators.safetensors":
            return real(path, modules)
        with ckpt.atomic_write(path) as f:
            f.write(b"the first bytes of the weights")
            disk_full()

    trainer = Trainer(TINY, "circles", run, seed=0)
    assert trainer.resume()
    monkeypatch.setattr(ckpt, "save_weights", fail_on_critics)
    with pytest.raises(UserError, match="No space left"):
        trainer.fit(steps=2 * EVERY, progress=False)
    assert latest_step(run) == EVERY
    ckpt.verify(ckpt.latest_checkpoint(run), ckpt.MODEL_FILES + ckpt.STATE_FILES)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest.json", "step-0000005"]
    assert not temporaries(run)


def test_saving_again_what_the_latest_checkpoint_holds_rewrites_nothing(run):
    """The end of a run that stopped on a checkpoint step: the latest checkpoint is left alone,
    never deleted and written again."""
    trainer = Trainer(TINY, "circles", run, seed=0)
    assert trainer.resume()
    files = {p: p.stat().st_ino for p in ckpt.latest_checkpoint(run).iterdir()}
    assert trainer.fit(steps=EVERY, progress=False) == ckpt.latest_checkpoint(run)
    assert {p: p.stat().st_ino for p in ckpt.latest_checkpoint(run).iterdir()} == files


def test_dataset_write_that_fails_leaves_no_dataset_that_looks_whole(tmp_path, monkeypatch, small_video):
    root = make_dataset(tmp_path / "d", "circles", 20, video=small_video, progress=False)
    monkeypatch.setattr(data, "SHARD_CLIPS", 8)
    saves = itertools.count()
    real = np.save
    monkeypatch.setattr(np, "save", lambda f, a: disk_full() if next(saves) == 1 else real(f, a))
    with pytest.raises(UserError, match="No space left"):
        make_dataset(root, "circles", 20, seed=1, video=small_video, progress=False)
    with pytest.raises(UserError, match="has shards but no manifest.json: its writing was cut short"):
        VideoDataset(root)
    assert not temporaries(root)
