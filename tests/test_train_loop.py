"""The training loop on a tiny config: steps, log, samples, checkpoints, resume, presets, epochs; fast, seeded, exact."""
import json

import numpy as np
import pytest
import torch

import text2video
from text2video.errors import UserError
from text2video.models import downsample
from text2video.train import Trainer, get_config



@pytest.fixture
def tiny(tmp_path):
    return Trainer(get_config("tiny"), "circles", tmp_path / "run", seed=0)


def test_a_few_steps_lower_the_discriminator_loss_on_a_fixed_batch(tiny):
    torch.manual_seed(1)
    real64, prompts, wrong = tiny.real.batch(4)
    real = downsample(real64, 2)
    ids, wrong_ids = tiny.vocab.batch(prompts), tiny.vocab.batch(wrong)
    fake = tiny.at_core(tiny.G(torch.randn(4, *tiny.G.noise_shape), ids)).detach()

    def loss():
        return (torch.relu(1 - tiny.Dv(real, ids)).mean() + torch.relu(1 + tiny.Dv(fake, ids)).mean()
                + torch.relu(1 + tiny.Dv(real, wrong_ids)).mean())

    before = loss().item()
    for _ in range(5):
        tiny.opt_d.zero_grad()
        loss().backward()
        tiny.opt_d.step()
    assert loss().item() < before - 0.05


def test_training_writes_log_samples_and_checkpoint(tiny):
    path = tiny.fit(steps=6, progress=False)
    run = tiny.out
    assert path == run / "checkpoints" / "step-0000006"
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6] and all(np.isfinite(r["loss_d"]) for r in rows)
    assert (run / "samples" / "step-0000005.gif").stat().st_size > 0
    assert (run / "loss.png").exists()


def test_saved_model_loads_bit_exactly(tiny):
    tiny.fit(steps=3, progress=False)
    model = text2video.load(tiny.out)
    for name, module in tiny.models.items():
        loaded = model.G if name == "generator" else model.U
        for (k, a), (_, b) in zip(module.state_dict().items(), loaded.state_dict().items()):
            assert torch.equal(a, b), f"{name}.{k} changed on the way through disk"


def test_resume_continues_step_counter_and_random_streams(tmp_path):
    straight = Trainer(get_config("tiny"), "circles", tmp_path / "a", seed=3)
    straight.fit(steps=10, progress=False)
    first = Trainer(get_config("tiny"), "circles", tmp_path / "b", seed=3)
    first.fit(steps=5, progress=False)
    second = Trainer(get_config("tiny"), "circles", tmp_path / "b", seed=3)
    assert second.resume() and second.step == 5
    second.fit(steps=10, progress=False)
    assert second.step == 10
    for a, b in zip(straight.G.state_dict().values(), second.G.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5), "a resumed run drifted from an uninterrupted one"


def test_same_seed_gives_same_clips_whatever_the_batch(tiny):
    tiny.fit(steps=2, progress=False)
    model = text2video.load(tiny.out)
    together = model.generate(["circle moving up", "circle moving up-right"], n=3, seed=7)
    alone = model.generate(["circle moving up-right"], n=1, seed=7)
    assert together.shape == (6, 4, 16, 16, 3) and together.dtype == np.uint8
    np.testing.assert_array_equal(together[3], alone[0])
    assert not np.array_equal(together[3], together[4]), "different clips of one prompt are identical"


def test_generation_does_not_depend_on_train_or_eval_mode(tiny):
    tiny.fit(steps=2, progress=False)
    model = text2video.load(tiny.out)
    a = model.generate("circle moving left", n=2, seed=1)
    model.G.train()
    b = model.generate("circle moving left", n=2, seed=1)
    np.testing.assert_array_equal(a, b)


def test_settings_from_the_command_line_take_each_field_s_type():
    from text2video.train import parse_setting

    cfg = get_config("tiny", **dict(map(parse_setting, ["image_text=true", "g_channels=16", "betas=0.0,0.9",
                                                         "ema=0.99", "loss=bce"])))
    assert cfg.image_text is True and cfg.model.g_channels == 16 and cfg.betas == (0.0, 0.9)
    assert cfg.ema == 0.99 and cfg.loss == "bce"


def test_every_preset_loads_back_from_the_config_its_run_saves():
    from text2video.train import PRESET_CONFIGS, TrainConfig

    for cfg in PRESET_CONFIGS.values():
        assert TrainConfig.from_json(json.loads(json.dumps(cfg.to_json()))) == cfg, cfg.name


def test_unknown_training_preset_is_explained():
    with pytest.raises(UserError, match="unknown training preset 'huge'; known: cpu, patterns, shapes, gpu, gpu128, tutorial, tiny"):
        get_config("huge")


def test_loading_a_model_with_an_altered_weight_file_fails(tiny):
    path = tiny.fit(steps=1, progress=False)
    weights = path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(UserError, match="model.safetensors does not match its checksum"):
        text2video.load(path)


def test_epochs_count_passes_over_a_dataset_directory(tmp_path):
    from text2video.data import make_dataset
    from text2video.synth import VideoConfig

    data = make_dataset(tmp_path / "data", "circles", 10, video=VideoConfig(frames=4, height=16, width=16),
                        progress=False)
    trainer = Trainer(get_config("tiny"), str(data), tmp_path / "run", seed=0)
    trainer.fit(epochs=2, progress=False)
    assert trainer.step == 5  # 2 passes over 10 clips, 4 a step: 20 clips in 5 steps
    trainer.fit(steps=7, epochs=9, progress=False)
    assert trainer.step == 7  # whichever ends first
    with pytest.raises(UserError, match="--epochs counts passes over a dataset directory"):
        Trainer(get_config("tiny"), "circles", tmp_path / "other", seed=0).fit(epochs=1, progress=False)


def test_presets_are_the_cpu_recipe_and_reproduce_the_shipped_models():
    from dataclasses import replace
    from pathlib import Path

    from text2video.files import read_json
    from text2video.train import TrainConfig

    cpu = get_config("cpu")
    assert cpu == TrainConfig()  # the defaults are the recipe
    for name in ("gpu", "gpu128"):
        gpu = get_config(name)
        assert replace(gpu, name="cpu", batch_size=32, checkpoint_every=250, sample_every=250,
                       model=replace(gpu.model, size=64, core=32, g_channels=64, d_channels=16)) == cpu
    patterns = get_config("patterns")
    assert replace(patterns, name="cpu", image_text=False, video_window=0, motion_prior=0.0, near_miss=0.0, window=0,
                   window_words=0.0, window_real=1.0,
                   model=replace(patterns.model, path="fold", look="conv", mark=False)) == cpu
    shipped = Path(__file__).resolve().parents[1] / "model"
    for preset, model in (("cpu", "circles"), ("shapes", "shapes"), ("patterns", "patterns")):
        trained = TrainConfig.from_json(read_json(shipped / model / "config.json")["train"])
        assert replace(trained, name=preset) == get_config(preset), model
