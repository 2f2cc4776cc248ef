"""Datasets on disk and on the fly: held-out splits, shapes and ranges, corrupt files."""
import json

import pytest
import torch

from text2video.data import ClipSource, SyntheticVideos, VideoDataset, make_dataset
from text2video.errors import UserError
from text2video.presets import Split, get_preset
from text2video.synth import Attributes, VideoConfig


@pytest.fixture
def circles_dir(tmp_path, small_video):
    return make_dataset(tmp_path / "circles", "circles", 40, seed=0, video=small_video, progress=False)


def test_held_out_prompts_never_appear_in_training():
    for name in ("circles", "shapes"):
        preset = get_preset(name)
        train, held = preset.partition()
        assert held and not set(train) & set(held)
        assert not any(preset.holdout.is_heldout(a) for a in train)


def test_circles_held_out_prompt_is_the_only_one_with_up_and_right():
    preset = get_preset("circles")
    train, held = preset.partition()
    assert [preset.prompt(a) for a in held] == ["circle moving up-right"]
    for a in train:
        words = set(preset.prompt(a).replace("-", " ").split())
        assert not {"up", "right"} <= words
    assert {"up", "right"} <= {w for a in train for w in preset.prompt(a).replace("-", " ").split()}


def test_shapes_held_out_combinations_match_the_issue():
    preset = get_preset("shapes")
    train, held = preset.partition()
    assert len(train) + len(held) == 3 * 7 * 2 * 8 * 3
    assert not any(a.shape == "square" and a.colour == "red" for a in train)
    assert not any(a.shape == "triangle" and a.direction == "up-right" for a in train)
    assert not any(a.colour == "yellow" and a.direction == "down" for a in train)
    assert any(a.colour == "red" for a in train) and any(a.shape == "square" for a in train)


def test_dataset_written_to_disk_holds_only_training_clips(circles_dir):
    manifest = json.loads((circles_dir / "manifest.json").read_text())
    assert not any(manifest["clips"]["heldout"])
    assert "circle moving up-right" not in manifest["clips"]["prompt"]
    assert manifest["split"] == [{"direction": "up-right"}]


def test_same_seed_writes_identical_datasets(tmp_path, small_video):
    a = make_dataset(tmp_path / "a", "shapes", 30, seed=5, video=small_video, progress=False)
    b = make_dataset(tmp_path / "b", "shapes", 30, seed=5, video=small_video, progress=False)
    for name in ("manifest.json", "shard-00000.npy"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_dataset_items_are_channels_first_in_minus_one_to_one(circles_dir, small_video):
    ds = VideoDataset(circles_dir)
    item = ds[3]
    assert len(ds) == 40
    assert item["video"].shape == (3, small_video.frames, small_video.height, small_video.width)
    assert item["video"].dtype == torch.float32
    assert item["video"].min() == -1.0 and item["video"].max() == 1.0
    assert item["prompt"].startswith("circle moving ")
    assert item["attributes"]["shape"] == "circle"


def test_dataset_loads_in_a_dataloader(circles_dir):
    batch = next(iter(torch.utils.data.DataLoader(VideoDataset(circles_dir), batch_size=8)))
    assert batch["video"].shape[0] == 8 and len(batch["prompt"]) == 8


def test_truncated_shard_is_an_error_naming_the_file(circles_dir):
    shard = circles_dir / "shard-00000.npy"
    shard.write_bytes(shard.read_bytes()[:-1000])
    with pytest.raises(UserError, match="shard-00000.npy"):
        VideoDataset(circles_dir)


def test_altered_shard_fails_its_checksum(circles_dir):
    shard = circles_dir / "shard-00000.npy"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(UserError, match="shard-00000.npy.*checksum"):
        VideoDataset(circles_dir)


def test_manifest_that_does_not_match_its_shards_is_an_error(circles_dir):
    path = circles_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["n"] = 41
    path.write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="manifest.json"):
        VideoDataset(circles_dir)


def test_on_the_fly_batches_match_the_disk_format(small_video):
    stream = SyntheticVideos(ClipSource(get_preset("shapes"), "train", small_video), batch_size=6, seed=0)
    batch = next(iter(stream))
    assert batch["video"].shape == (6, 3, small_video.frames, small_video.height, small_video.width)
    assert -1.0 <= batch["video"].min() and batch["video"].max() <= 1.0
    assert not any(get_preset("shapes").holdout.is_heldout(Attributes(**a)) for a in batch["attributes"])


def test_holdout_can_be_named_in_prompt_words():
    split = Split.parse(["red square", "triangle up right"])
    assert split.to_json() == [{"colour": "red", "shape": "square"}, {"shape": "triangle", "direction": "up-right"}]
    train, held = get_preset("shapes").partition(split)
    assert all(split.is_heldout(a) for a in held)


def test_holdout_that_hides_a_word_entirely_is_refused():
    with pytest.raises(UserError, match="hides the word"):
        get_preset("shapes").partition(Split.parse(["red"]))


def test_patterns_hold_out_up_right_and_two_patterns_each_of_seen_words():
    preset = get_preset("patterns")
    held = ClipSource(preset, "heldout").prompts
    assert held == ["circle bouncing horizontally", "circle moving diagonally up-right", "circle moving up-right",
                    "circle zigzagging vertically"]
    train = ClipSource(preset, "train").prompts
    assert len(train) == 16 and "circle moving diagonally down-left" in train and "circle moving down-left" in train
    assert not any({"up", "right"} <= set(p.replace("-", " ").split()) for p in train)


def test_a_diagonal_clip_is_said_with_and_without_diagonally(tmp_path, small_video):
    out = make_dataset(tmp_path / "p", "patterns", 200, seed=0, video=VideoConfig(frames=8, height=32, width=32),
                       progress=False)
    clips = json.loads((out / "manifest.json").read_text())["clips"]
    said = set(clips["prompt"])
    assert {"circle moving down-left", "circle moving diagonally down-left", "circle shrinking"} <= said
    assert {clips["motion"][i] for i, p in enumerate(clips["prompt"]) if "bouncing" in p} == {"bouncing"}


def test_a_dataset_written_before_motions_reads_as_moving(circles_dir):
    manifest = json.loads((circles_dir / "manifest.json").read_text())
    del manifest["clips"]["motion"]
    (circles_dir / "manifest.json").write_text(json.dumps(manifest))
    assert VideoDataset(circles_dir).attributes(0)["motion"] == "moving"


def test_training_batches_of_patterns_come_with_their_prompts(small_video):
    import numpy as np

    from text2video.data import RealClips

    real = RealClips("patterns", VideoConfig(frames=8, height=32, width=32), None, np.random.default_rng(0))
    videos, prompts, wrong = real.batch(24)
    assert videos.shape == (24, 3, 8, 32, 32) and all(p in real.prompts for p in prompts)
    assert all(p != w for p, w in zip(prompts, wrong))


def test_a_near_miss_wrong_prompt_differs_from_the_clips_in_one_attribute():
    import numpy as np

    from text2video.data import RealClips

    real = RealClips("patterns", VideoConfig(frames=8, height=32, width=32), None, np.random.default_rng(0), near_miss=1.0)
    asked = ["circle rotating clockwise", "circle shrinking", "circle bouncing vertically"] * 8
    wrong = real.wrong_prompts(asked)
    assert set(wrong[0::3]) == {"circle rotating counter-clockwise"} and set(wrong[1::3]) == {"circle expanding"}
    # no training prompt is one attribute away from a vertical bounce: any other prompt
    assert len(set(wrong[2::3])) > 1 and "circle bouncing vertically" not in wrong
