"""`python -m text2video generate` as a user runs it, on a tiny trained model."""
import subprocess
import sys

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


def generate(*args):
    return subprocess.run([sys.executable, "-m", "text2video", "generate", *args], capture_output=True, text=True)


def test_generate_writes_a_grid_gif_and_prints_its_path(model_dir, tmp_path):
    out = tmp_path / "up-right.gif"
    r = generate("circle moving up-right", "--model", str(model_dir), "--num-samples", "4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out) and out.stat().st_size > 0


def test_generate_npy_holds_uint8_clips(model_dir, tmp_path):
    out = tmp_path / "clip.npy"
    r = generate("circle moving left", "--model", str(model_dir), "--out", str(out), "--scale", "2")
    assert r.returncode == 0, r.stderr
    clip = np.load(out)
    assert clip.dtype == np.uint8 and clip.shape == (4, 32, 32, 3)


def test_generate_out_dir_writes_one_file_per_clip(model_dir, tmp_path):
    r = generate("circle moving down", "--model", str(model_dir), "--num-samples", "3", "--out-dir", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [f"circle_moving_down_{i}.gif" for i in range(3)]


@pytest.mark.parametrize(
    "prompt, args, message",
    [
        ("hexagon moving up", [], "unknown word 'hexagon'"),
        ("  ", [], "empty prompt"),
        ("circle moving up", ["--num-samples", "0"], "--num-samples must be between 1 and 256"),
        ("circle moving up", ["--num-samples", "257"], "--num-samples must be between 1 and 256"),
        ("circle moving up", ["--out", "clip.webm"], "extension must be one of .gif, .mp4, .avi, .npy"),
    ],
)
def test_generate_errors_are_one_line_with_exit_code_2(model_dir, tmp_path, prompt, args, message):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "x.gif")]
    r = generate(prompt, "--model", str(model_dir), *args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_unwritable_output_path_is_an_error(model_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = generate("circle moving up", "--model", str(model_dir), "--out", str(blocker / "x.gif"))
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_missing_model_directory_is_an_error(tmp_path):
    r = generate("circle moving up", "--model", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.gif"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_corrupt_model_is_an_error(model_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in model_dir.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"garbage")
    r = generate("circle moving up", "--model", str(broken), "--out", str(tmp_path / "x.gif"))
    assert r.returncode == 2 and "model.safetensors" in r.stderr and "Traceback" not in r.stderr
