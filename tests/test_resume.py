"""Kills, Ctrl-C and resume: training survives them and continues bit-exactly. Training runs use the
tiny preset on one thread, so they take seconds."""
import json
import signal
import subprocess
import sys

from text2video import checkpoint as ckpt
from text2video.train import Trainer

from faults import (ENV, EVERY, TINY, assert_same_training_state, cli, latest_step, logged_steps, start_training, temporaries,
                     train_argv, wait_for)

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
