"""Bad options and configs: one line saying what is accepted, exit 2, nothing written. Training runs
use the tiny preset on one thread, so they take seconds."""
import pytest

from text2video.data import make_dataset
from text2video.errors import UserError
from text2video.models import ModelConfig
from text2video.synth import VideoConfig
from text2video.train import get_config

from faults import EVERY, assert_one_line_error, cli, latest_step, train_argv

@pytest.mark.parametrize("make, message", [
    (lambda: ModelConfig(size=48), "size must equal core (32) or twice it, got 48"),
    (lambda: get_config("tiny", size=20), "size must equal core (8) or twice it, got 20"),
    (lambda: ModelConfig(core=24), "core must be a power of two of at least 8, got 24"),
    (lambda: ModelConfig(frames=1), "frames must be at least 2, got 1"),
    (lambda: get_config("tiny", lr=0.0), "learning rate must be positive, got 0.0"),
    (lambda: get_config("tiny", lr=-1e-3), "learning rate must be positive, got -0.001"),
    (lambda: get_config("tiny", batch_size=1), "batch size must be at least 2, got 1"),
    (lambda: get_config("huge"), "unknown training preset 'huge'; known: cpu, patterns, shapes, gpu"),
])
def test_configs_say_what_they_accept(make, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize("args, message", [
    (["--steps", "-5"], "argument --steps: must be a positive whole number, got '-5'"),
    (["--steps", "0"], "argument --steps: must be a positive whole number, got '0'"),
    (["--steps", "ten"], "argument --steps: must be a positive whole number, got 'ten'"),
    (["--minutes", "-1"], "argument --minutes: must be a positive finite number, got '-1'"),
    (["--minutes", "inf"], "argument --minutes: must be a positive finite number, got 'inf'"),
    (["--steps", "1", "--lr", "0"], "argument --lr: must be a positive finite number, got '0'"),
    (["--steps", "1", "--lr", "nan"], "argument --lr: must be a positive finite number, got 'nan'"),
    (["--steps", "1", "--seed", "-1"], "argument --seed: must be a whole number from 0 to 4294967295, got '-1'"),
    (["--steps", "1", "--batch-size", "1"], "batch size must be at least 2, got 1"),
    (["--steps", "1", "--preset", "huge"], "unknown training preset 'huge'; known: cpu, patterns, shapes, gpu"),
    (["--steps", "1", "--data", "nowhere"], "--data 'nowhere' is neither a data preset (circles, shapes, patterns) nor a dataset directory"),
    (["--steps", "1", "--device", "warp-drive"], "--device 'warp-drive' is not a device; use auto, cpu, cuda, cuda:N or mps"),
    (["--steps", "1", "--holdout", "circle"], "leaves the training set of preset 'circles' empty"),
    ([], "give a training length: --steps N, --minutes M or --epochs E"),
    (["--steps", "1", "--set", "windw=8"], "--set takes KEY=VALUE, KEY one of: "),
    (["--steps", "1", "--set", "window"], "--set takes KEY=VALUE"),
    (["--steps", "1", "--set", "image_text=maybe"], "--set image_text: 'maybe' is not true or false"),
    (["--steps", "1", "--set", "r1=10"], "--set takes KEY=VALUE, KEY one of: "),
    (["--steps", "1", "--set", "sense=coin"], "--set takes KEY=VALUE, KEY one of: "),  # a saved mark, not a field
    (["--epochs", "1"], "--epochs counts passes over a dataset directory, and preset 'circles' renders new clips"),
    (["--epochs", "0"], "argument --epochs: must be a positive finite number, got '0'"),
    (["--steps", "1", "--set", "window=wide"], "--set window: 'wide' is not an int"),
    (["--steps", "1", "--set", "window=12"], "window must be 0 or a power of two from 8 to the frame size 16, got 12"),
    (["--steps", "1", "--resume"], "has no checkpoint to resume from"),
])
def test_bad_training_options_are_one_line_saying_what_is_accepted(tmp_path, capsys, args, message):
    code, err = cli(["train", "--preset", "tiny", "--out", tmp_path / "run", *args], capsys)
    assert_one_line_error(code, err, message)


@pytest.mark.parametrize("argv, message", [
    (["make-dataset", "--frames", "1"], "frames must be at least 2 to show motion, got 1"),
    (["make-dataset", "--size", "4"], "frames must be at least 8x8 pixels, got 4x4"),
    (["make-dataset", "--n", "-3"], "argument --n: must be a positive whole number, got '-3'"),
    (["render", "circle moving up", "--fps", "0"], "argument --fps: must be a positive finite number, got '0'"),
    (["render", "circle moving up", "--scale", "0"], "argument --scale: must be a positive whole number, got '0'"),
    (["render", "circle moving up", "--scale", "200"], "--scale 200 would make a video of 7.3 GiB; the limit is 2 GiB"),
    (["render", "circle moving up", "--frames", "-2"], "argument --frames: must be a positive whole number, got '-2'"),
    (["generate", "circle moving up", "--fps", "-8"], "argument --fps: must be a positive finite number, got '-8'"),
])
def test_bad_options_of_other_commands_are_one_line(tmp_path, capsys, argv, message):
    code, err = cli([*argv, "--out", tmp_path / "x.npy"], capsys)
    assert_one_line_error(code, err, message)
    assert not (tmp_path / "x.npy").exists()


def test_batch_larger_than_the_dataset_is_one_line(tmp_path, capsys):
    root = make_dataset(tmp_path / "d", "circles", 6, video=VideoConfig(frames=4, height=16, width=16), progress=False)
    code, err = cli(["train", "--preset", "tiny", "--data", root, "--batch-size", 8, "--steps", 1,
                     "--out", tmp_path / "run"], capsys)
    assert_one_line_error(code, err, "batch size 8 is larger than the dataset (6 clips)")


def test_training_into_a_finished_run_without_resume_is_refused(run, capsys):
    code, err = cli(train_argv(run, "--steps", 6), capsys)
    assert_one_line_error(code, err, "holds a run already; add --resume to continue it, or give another --out")
    assert latest_step(run) == EVERY
