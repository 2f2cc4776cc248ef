"""`python -m text2video generate` as a user runs it, on a tiny trained model."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from text2video.checkpoint import export
from text2video.train import Trainer, get_config


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    trainer = Trainer(get_config("tiny"), "circles", root / "run", seed=0)
    trainer.fit(steps=2, progress=False)
    return export(root / "run", root / "model")


ROOT = Path(__file__).resolve().parents[1]


def generate(*args):
    return subprocess.run([sys.executable, "-m", "text2video", "generate", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_generate_writes_a_grid_gif_and_prints_its_path(model_dir, tmp_path):
    out = tmp_path / "up-right.gif"
    r = generate("circle moving up-right", "--model", str(model_dir), "--num-samples", "4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out) and out.stat().st_size > 0


def test_generate_npy_holds_the_clips_themselves_not_a_grid(model_dir, tmp_path):
    out = tmp_path / "clips.npy"
    r = generate("circle moving left", "--model", str(model_dir), "--num-samples", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    clips = np.load(out)
    assert clips.dtype == np.uint8 and clips.shape == (3, 4, 16, 16, 3)  # (N, T, H, W, 3)
    assert not np.array_equal(clips[0], clips[1])


def test_several_prompts_make_one_grid_a_row_each_under_their_labels(model_dir, tmp_path):
    from text2video.video_io import read_video

    out = tmp_path / "rows.gif"
    r = generate("circle moving left", "circle moving up", "--model", str(model_dir), "--num-samples", "3",
                 "--scale", "4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = read_video(out)
    cell = 16 * 4 + 2  # a clip at --scale 4 and the grid's border
    assert rows.shape[2] == 3 * cell and rows.shape[1] > 2 * cell  # 3 clips a row, 2 rows and their captions
    caption = rows[0, 1:20, 1:60]  # white text on black above the first clip
    assert caption.max() > 200 and (caption < 30).mean() > 0.5


def test_a_png_is_the_middle_frame_of_the_grid_the_gif_holds(model_dir, tmp_path):
    from text2video.video_io import read_video

    still, moving = tmp_path / "rows.png", tmp_path / "rows.npy"
    for out in (still, moving):
        r = generate("circle moving left", "circle moving up", "--model", str(model_dir), "--num-samples", "2",
                     "--out", str(out))
        assert r.returncode == 0, r.stderr
    from text2video.video_io import captioned, grid
    clips = np.load(moving)
    frames = grid(captioned(clips, ["circle moving left"] * 2 + ["circle moving up"] * 2), 2)
    np.testing.assert_array_equal(read_video(still), frames[len(frames) // 2][None])
    assert still.read_bytes()[:4] == b"\x89PNG"


def test_several_prompts_to_npy_hold_every_clip_prompt_by_prompt(model_dir, tmp_path):
    out = tmp_path / "clips.npy"
    r = generate("circle moving left", "circle moving up", "--model", str(model_dir), "--num-samples", "2",
                 "--out", str(out))
    assert r.returncode == 0, r.stderr
    clips = np.load(out)
    assert clips.shape == (4, 4, 16, 16, 3)
    import text2video
    np.testing.assert_array_equal(clips, text2video.load(model_dir).generate(["circle moving left", "circle moving up"], n=2))


def test_render_npy_holds_the_clips_themselves_at_any_scale(tmp_path):
    out = tmp_path / "real.npy"
    r = subprocess.run([sys.executable, "-m", "text2video", "render", "circle moving up", "--num-samples", "2",
                        "--frames", "4", "--size", "16", "--scale", "2", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert np.load(out).shape == (2, 4, 32, 32, 3)


def test_a_model_refuses_a_word_it_was_not_trained_on_and_lists_the_ones_it_knows(tmp_path):
    r = generate("red circle moving left", "--model", "model/circles", "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "this model was not trained on the word 'red'")
    assert "the words it knows: circle, down, left, moving, right, up" in r.stderr
    assert not (tmp_path / "x.gif").exists()


def test_a_trained_model_records_the_words_of_its_training_prompts(model_dir):
    import text2video
    from text2video.errors import UserError

    model = text2video.load(model_dir)
    assert model.known == ["circle", "down", "left", "moving", "right", "up"]
    with pytest.raises(UserError, match="not trained on the word 'square'"):
        model.generate("square moving up")


def test_generate_out_dir_writes_one_file_per_clip(model_dir, tmp_path):
    r = generate("circle moving down", "--model", str(model_dir), "--num-samples", "3", "--out-dir", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [f"circle_moving_down_{i}.gif" for i in range(3)]


def assert_user_error(r, message):
    """What the CLI does with a mistake of the user's: one line on stderr, exit code 2."""
    assert r.returncode == 2, r.stderr
    assert message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize(
    "prompt, args, message",
    [
        ("hexagon moving up", [], "unknown word 'hexagon'"),
        ("  ", [], "empty prompt"),
        ("", [], "empty prompt"),
        ("circle moving up", ["--num-samples", "0"], "--num-samples must be between 1 and 256"),
        ("circle moving up", ["--num-samples", "-3"], "--num-samples must be between 1 and 256"),
        ("circle moving up", ["--num-samples", "257"], "--num-samples must be between 1 and 256"),
        ("circle moving up", ["--out", "clip.webm"], "extension must be one of .gif, .mp4, .avi, .npy"),
        ("circle moving up", ["--out", "clip"], "cannot write a file without extension"),
    ],
)
def test_generate_errors_are_one_line_with_exit_code_2(model_dir, tmp_path, prompt, args, message):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "x.gif")]
    assert_user_error(generate(prompt, "--model", str(model_dir), *args), message)


def test_unknown_word_error_lists_the_vocabulary(model_dir, tmp_path):
    r = generate("circle moving sideways", "--model", str(model_dir), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "unknown word 'sideways'")
    known = r.stderr.split("known words:")[1]
    assert all(w in known for w in ("circle", "square", "up", "right", "quickly"))


def test_unknown_ext_with_out_dir_is_an_error(model_dir, tmp_path):
    r = generate("circle moving up", "--model", str(model_dir), "--out-dir", str(tmp_path / "d"), "--ext", ".webm")
    assert_user_error(r, "extension must be one of")
    assert not (tmp_path / "d").exists()


def test_unwritable_output_path_is_an_error(model_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = generate("circle moving up", "--model", str(model_dir), "--out", str(blocker / "x.gif"))
    assert_user_error(r, "cannot write")


def test_missing_model_directory_is_an_error(tmp_path):
    r = generate("circle moving up", "--model", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "does not exist")


def copy_model(model_dir, to):
    to.mkdir()
    for f in model_dir.iterdir():
        (to / f.name).write_bytes(f.read_bytes())
    return to


def test_a_directory_without_a_model_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    r = generate("circle moving up", "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "checksums.json")


def test_missing_weights_file_is_an_error(model_dir, tmp_path):
    broken = copy_model(model_dir, tmp_path / "broken")
    (broken / "model.safetensors").unlink()
    r = generate("circle moving up", "--model", str(broken), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "model.safetensors is missing")


def test_altered_model_is_an_error(model_dir, tmp_path):
    broken = copy_model(model_dir, tmp_path / "broken")
    (broken / "model.safetensors").write_bytes(b"garbage")
    r = generate("circle moving up", "--model", str(broken), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "model.safetensors does not match its checksum")


def test_corrupt_weights_with_a_matching_checksum_are_an_error(model_dir, tmp_path):
    from text2video.checkpoint import MODEL_FILES, write_checksums

    broken = copy_model(model_dir, tmp_path / "broken")
    (broken / "model.safetensors").write_bytes(b"garbage")
    write_checksums(broken, MODEL_FILES)
    r = generate("circle moving up", "--model", str(broken), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "model.safetensors is corrupt")


def test_corrupt_config_is_an_error(model_dir, tmp_path):
    from text2video.checkpoint import MODEL_FILES, write_checksums

    broken = copy_model(model_dir, tmp_path / "broken")
    (broken / "config.json").write_text("{not json")
    write_checksums(broken, MODEL_FILES)
    r = generate("circle moving up", "--model", str(broken), "--out", str(tmp_path / "x.gif"))
    assert_user_error(r, "config.json is not readable JSON")
