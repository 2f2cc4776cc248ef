"""Faults and bad input: nothing unsafe is loaded, writes are atomic, training survives kills,
Ctrl-C and NaNs, damaged files are named, bad options are explained, runs are reproducible.

docs/RELIABILITY.md lists every case with the test that proves it. Training runs use the tiny
preset on one thread (this process and its subprocesses alike), so they take seconds.
"""
import contextlib
import errno
import itertools
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import text2video
from text2video import checkpoint as ckpt
from text2video import data, video_io
from text2video.cli import main
from text2video.data import VideoDataset, make_dataset
from text2video.errors import UserError
from text2video.files import atomic_write, read_json
from text2video.models import ModelConfig
from text2video.synth import VideoConfig
from text2video.train import Trainer, get_config

TINY = get_config("tiny")
EVERY = TINY.checkpoint_every
# One thread here and in the subprocesses: the same arithmetic in both, and no spinning threads
# fighting other jobs for the cores.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def run5(tmp_path_factory):
    """A tiny run trained to its first checkpoint (step 5); tests work on copies of it."""
    out = tmp_path_factory.mktemp("run5") / "run"
    Trainer(TINY, "circles", out, seed=0).fit(steps=EVERY, progress=False)
    return out


@pytest.fixture
def run(run5, tmp_path):
    import shutil

    return shutil.copytree(run5, tmp_path / "run")


def cli(argv, capsys) -> tuple[int, str]:
    """main() in this process: (exit code, stderr); argparse's own errors exit through SystemExit."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def assert_one_line_error(code, err, message):
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def train_argv(out, *args) -> list[str]:
    return [str(a) for a in ("train", "--preset", "tiny", "--data", "circles", "--seed", 0, "--out", out, *args)]


def latest_step(out) -> int | None:
    pointer = out / "checkpoints" / "latest.json"
    return json.loads(pointer.read_text())["step"] if pointer.exists() else None


def logged_steps(out) -> list[int]:
    steps = []
    for line in (out / "log.jsonl").read_text().splitlines():
        with contextlib.suppress(ValueError):  # a kill may cut the last line short
            steps.append(json.loads(line)["step"])
    return steps


def wait_for(condition, proc, timeout=120.0):
    """Poll until condition() holds; fail if the process ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"training ended early with code {proc.returncode}"
        assert time.monotonic() < deadline, "training made no progress in time"
        time.sleep(0.02)


def start_training(out, tmp_path, *args, prefix=("-m", "text2video")):
    err = open(tmp_path / "stderr.txt", "w")
    # SIGINT back to its default in the child, even when the tests run where it is ignored
    return subprocess.Popen([sys.executable, *prefix, *train_argv(out, *args)], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=err, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def temporaries(root) -> list:
    return [p for p in root.rglob("*") if ".tmp" in p.name]


def flat(obj, prefix=""):
    """(path, leaf) pairs of nested dicts and lists, for comparing optimizer states."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flat(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flat(v, f"{prefix}/{i}")
    else:
        yield prefix, obj


def assert_same_training_state(a, b):
    """Two checkpoint directories hold bit-identical weights, optimizer states and RNG states."""
    for name in ("model.safetensors", "discriminators.safetensors"):
        ta, tb = load_file(a / name), load_file(b / name)
        assert ta.keys() == tb.keys()
        for k in ta:
            assert torch.equal(ta[k], tb[k]), f"{name}: {k} differs"
    oa, ob = (dict(flat(torch.load(d / "optimizers.pt", weights_only=True))) for d in (a, b))
    assert oa.keys() == ob.keys()
    for k in oa:
        same = torch.equal(oa[k], ob[k]) if isinstance(oa[k], torch.Tensor) else oa[k] == ob[k]
        assert same, f"optimizer state {k} differs"
    sa, sb = read_json(a / "state.json"), read_json(b / "state.json")
    assert (sa["step"], sa["rng"]) == (sb["step"], sb["rng"])


# --- 1. nothing unsafe is loaded ---------------------------------------------------------------


class Payload:
    """Unpickling this calls open(marker, "w"): it would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


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


# --- 2. atomic writes ------------------------------------------------------------------------------


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


# --- 3. kills, Ctrl-C and resume -------------------------------------------------------------------


def test_killed_training_resumes_from_its_last_checkpoint_bit_exactly(tmp_path):
    out = tmp_path / "run"
    proc = start_training(out, tmp_path, "--steps", 1000)
    try:
        wait_for(lambda: latest_step(out), proc)
    finally:
        proc.kill()  # SIGKILL: no handler, no last save
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    k = latest_step(out)
    assert max(logged_steps(out)) - k <= EVERY, "more than one checkpoint interval of work was lost"

    r = subprocess.run([sys.executable, "-m", "text2video", *train_argv(out, "--steps", k + 3, "--resume")],
                       env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"resumed {out} at step {k}" in r.stderr
    assert logged_steps(out) == list(range(1, k + 4)), "steps after the checkpoint are logged twice"
    straight = Trainer(TINY, "circles", tmp_path / "straight", seed=0)
    straight.fit(steps=k + 3, progress=False)
    assert_same_training_state(ckpt.latest_checkpoint(out), ckpt.latest_checkpoint(straight.out))


def test_log_row_cut_short_by_a_kill_is_dropped_on_resume(run):
    with open(run / "log.jsonl", "a") as f:
        f.write('{"step": 6, "seconds": 1.2, "loss_d": 0.')
    trainer = Trainer(TINY, "circles", run, seed=0)
    assert trainer.resume()
    trainer.fit(steps=EVERY + 2, progress=False)
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, EVERY + 3))


KILL_DURING_CHECKPOINT = """
import contextlib, os, signal, sys
from text2video import checkpoint, cli

real = checkpoint.atomic_write

@contextlib.contextmanager
def dies_halfway(path, mode="wb"):
    with real(path, mode) as f:
        if path.parent.name == "step-0000010" and path.name == "optimizers.pt":
            f.write(b"the first bytes of the optimizer state")
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        yield f

checkpoint.atomic_write = dies_halfway
sys.exit(cli.main(sys.argv[1:]))
"""


def test_kill_during_a_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    proc = start_training(out, tmp_path, "--steps", 1000, prefix=("-c", KILL_DURING_CHECKPOINT))
    assert proc.wait(timeout=120) == -signal.SIGKILL
    half = out / "checkpoints" / "step-0000010"
    assert latest_step(out) == EVERY and temporaries(half), "the kill did not land inside the write"
    ckpt.verify(ckpt.latest_checkpoint(out), ckpt.MODEL_FILES + ckpt.STATE_FILES)

    code, err = cli(train_argv(out, "--steps", 2 * EVERY + 2, "--resume"), capsys)
    assert code == 0, err
    assert f"resumed {out} at step {EVERY}" in err
    assert latest_step(out) == 2 * EVERY + 2 and not temporaries(out)
    ckpt.verify(half, ckpt.MODEL_FILES + ckpt.STATE_FILES)  # written again, whole


def test_ctrl_c_saves_a_checkpoint_before_exiting(tmp_path):
    out = tmp_path / "run"
    proc = start_training(out, tmp_path, "--steps", 1000)
    try:
        wait_for(lambda: (out / "log.jsonl").exists() and max(logged_steps(out), default=0) > EVERY, proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    finally:
        proc.kill()
        proc.wait()
    err = (tmp_path / "stderr.txt").read_text()
    assert "text2video train: interrupted" in err and "Traceback" not in err
    saved = latest_step(out)
    assert saved > EVERY and saved >= max(logged_steps(out)), "the interrupt did not save the current step"
    ckpt.verify(ckpt.latest_checkpoint(out), ckpt.MODEL_FILES + ckpt.STATE_FILES)
    resumed = Trainer(TINY, "circles", out, seed=0)
    assert resumed.resume() and resumed.step == saved


# --- 4. numerical faults ---------------------------------------------------------------------------


def poison(module, monkeypatch, value, calls=None):
    """The module's forward returns `value` everywhere for its first `calls` calls (all if None)."""
    real, count = module.forward, itertools.count()

    def forward(*args):
        out = real(*args)
        return torch.full_like(out, value) if calls is None or next(count) < calls else out

    monkeypatch.setattr(module, "forward", forward)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_steps_with_a_non_finite_loss_are_skipped_and_not_counted(tmp_path, monkeypatch, value):
    trainer = Trainer(TINY, "circles", tmp_path / "run", seed=0)
    poison(trainer.Di.tower, monkeypatch, value, calls=4)  # two calls a discriminator step: two steps lost
    before = [p.detach().clone() for p in trainer.Di.parameters()]
    trainer.fit(steps=3, progress=False)
    assert logged_steps(trainer.out) == [1, 2, 3]
    rows = [json.loads(line) for line in (trainer.out / "log.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in rows)
    assert all(torch.isfinite(p).all() for p in trainer.Di.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.Di.parameters())), "it never trained"


def test_loss_that_stays_nan_stops_training_and_keeps_the_last_good_checkpoint(run, monkeypatch):
    trainer = Trainer(TINY, "circles", run, seed=0)
    assert trainer.resume()
    poison(trainer.Di.tower, monkeypatch, float("nan"))
    with pytest.raises(UserError, match="loss was NaN or infinite 10 steps running at step 5; the last good "
                                        "checkpoint is kept"):
        trainer.fit(steps=4 * EVERY, progress=False)
    assert latest_step(run) == EVERY
    ckpt.verify(ckpt.latest_checkpoint(run), ckpt.MODEL_FILES + ckpt.STATE_FILES)


def test_weights_that_became_nan_are_never_checkpointed(run):
    trainer = Trainer(TINY, "circles", run, seed=0)
    assert trainer.resume()
    with torch.no_grad():  # the shipped average drifts to NaN while the losses stay finite
        next(trainer.G_ema.parameters()).fill_(float("nan"))
    with pytest.raises(UserError, match=r"generator\..* is NaN or infinite at step 10: not saved, the last good"):
        trainer.fit(steps=2 * EVERY, progress=False)
    assert latest_step(run) == EVERY


# --- 5. integrity ----------------------------------------------------------------------------------

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


# --- 6. validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda: ModelConfig(size=48), "size must equal core (32) or twice it, got 48"),
    (lambda: get_config("tiny", size=20), "size must equal core (8) or twice it, got 20"),
    (lambda: ModelConfig(core=24), "core must be a power of two of at least 8, got 24"),
    (lambda: ModelConfig(frames=1), "frames must be at least 2, got 1"),
    (lambda: get_config("tiny", lr=0.0), "learning rate must be positive, got 0.0"),
    (lambda: get_config("tiny", lr=-1e-3), "learning rate must be positive, got -0.001"),
    (lambda: get_config("tiny", batch_size=1), "batch size must be at least 2, got 1"),
    (lambda: get_config("huge"), "unknown training preset 'huge'; known: cpu, gpu"),
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
    (["--steps", "1", "--preset", "huge"], "unknown training preset 'huge'; known: cpu, gpu"),
    (["--steps", "1", "--data", "nowhere"], "--data 'nowhere' is neither a data preset (circles, shapes, patterns) nor a dataset directory"),
    (["--steps", "1", "--device", "warp-drive"], "--device 'warp-drive' is not a device; use auto, cpu, cuda, cuda:N or mps"),
    (["--steps", "1", "--holdout", "circle"], "leaves the training set of preset 'circles' empty"),
    ([], "give a training length: --steps N or --minutes M"),
    (["--steps", "1", "--set", "windw=8"], "--set takes KEY=VALUE, KEY one of: "),
    (["--steps", "1", "--set", "window"], "--set takes KEY=VALUE"),
    (["--steps", "1", "--set", "window_text=maybe"], "--set window_text: 'maybe' is not true or false"),
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


# --- 7. determinism --------------------------------------------------------------------------------


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
