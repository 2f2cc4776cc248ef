"""Integrity: damaged checkpoints and datasets are named in one line. Training runs use the tiny
preset on one thread, so they take seconds."""
import json

import pytest

from text2video import checkpoint as ckpt
from text2video.data import VideoDataset, make_dataset
from text2video.errors import UserError
from text2video.synth import VideoConfig

from faults import assert_one_line_error, cli, train_argv

CHECKPOINT_FILES = ckpt.MODEL_FILES + ckpt.STATE_FILES


@pytest.mark.parametrize("damage", ["truncated", "altered"])
@pytest.mark.parametrize("name", CHECKPOINT_FILES)
def test_damaged_checkpoint_file_stops_resume_with_one_line_naming_it(run, capsys, name, damage):
    path = ckpt.latest_checkpoint(run) / name
    content = bytearray(path.read_bytes())
    if damage == "truncated":
        del content[len(content) // 2:]
    else:
        content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    code, err = cli(train_argv(run, "--steps", 6, "--resume"), capsys)
    assert_one_line_error(code, err, f"{name} does not match its checksum: it was truncated or altered")


def test_checkpoint_pointer_that_names_no_checkpoint_is_one_line(run, capsys):
    (run / "checkpoints" / "latest.json").write_text(json.dumps({"checkpoint": "../../elsewhere"}))
    code, err = cli(train_argv(run, "--steps", 6, "--resume"), capsys)
    assert_one_line_error(code, err, "latest.json is malformed: it names no step-N directory")


def test_missing_dataset_shard_is_an_error_naming_it(tmp_path, small_video):
    root = make_dataset(tmp_path / "d", "circles", 4, video=small_video, progress=False)
    (root / "shard-00000.npy").unlink()
    with pytest.raises(UserError, match="dataset shard .*shard-00000.npy is missing"):
        VideoDataset(root)


def test_training_on_an_altered_dataset_is_one_line_naming_the_shard(tmp_path, capsys):
    root = make_dataset(tmp_path / "d", "circles", 8, video=VideoConfig(frames=4, height=16, width=16), progress=False)
    shard = root / "shard-00000.npy"
    content = bytearray(shard.read_bytes())
    content[-1] ^= 0xFF
    shard.write_bytes(bytes(content))
    code, err = cli(["train", "--preset", "tiny", "--data", root, "--steps", 1, "--out", tmp_path / "run"], capsys)
    assert_one_line_error(code, err, "shard-00000.npy does not match its checksum in manifest.json")
