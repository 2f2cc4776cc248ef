"""Numerical faults: NaN or infinite losses are skipped, and NaN weights never checkpointed. Training
runs use the tiny preset on one thread, so they take seconds."""
import itertools
import json

import numpy as np
import pytest
import torch

from text2video import checkpoint as ckpt
from text2video.errors import UserError
from text2video.train import Trainer

from faults import EVERY, TINY, latest_step, logged_steps

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
