"""The GPU path's options, checked on CPU: presets that fit the model's constraints, mixed
precision, channels-last and compilation that leave weights and checkpoint keys as they are."""
import pytest
import torch

import text2video
from text2video.train import Trainer, get_config


def keys(trainer: Trainer) -> dict:
    return {name: list(net.state_dict()) for name, net in {**trainer.models, **trainer.critics}.items()}


@pytest.mark.parametrize("preset, side", [("gpu", 64), ("gpu128", 128)])
def test_gpu_presets_draw_clips_of_their_frame_size(tmp_path, preset, side):
    trainer = Trainer(get_config(preset), "circles", tmp_path, seed=0, device="cpu")
    with torch.no_grad():
        clip = trainer.G(torch.randn(1, *trainer.G.noise_shape), trainer.vocab.batch(["circle moving up"]))
    assert clip.shape == (1, 3, 16, side, side) and trainer.video.height == side


def test_compiled_networks_save_the_plain_checkpoint_keys(tmp_path):
    plain = Trainer(get_config("tiny"), "circles", tmp_path / "plain", seed=0)
    compiled = Trainer(get_config("tiny"), "circles", tmp_path / "compiled", seed=0, compile=True)
    assert keys(compiled) == keys(plain)
    assert text2video.load(compiled.save()).G.side == 16  # no compilation happens: nothing is called


def test_channels_last_changes_the_layout_not_the_weights(tmp_path):
    plain = Trainer(get_config("tiny"), "circles", tmp_path / "a", seed=0, channels_last=False)
    nhwc = Trainer(get_config("tiny"), "circles", tmp_path / "b", seed=0, channels_last=True)
    assert nhwc.Di.tower.net[0].parametrizations.weight.original.is_contiguous(memory_format=torch.channels_last)
    assert keys(nhwc) == keys(plain)
    for name, net in plain.critics.items():
        for (k, a), b in zip(net.state_dict().items(), nhwc.critics[name].state_dict().values()):
            assert torch.equal(a, b), f"{name}.{k}"


def test_mixed_precision_step_is_finite_and_keeps_fp32_weights(tmp_path):
    trainer = Trainer(get_config("tiny"), "circles", tmp_path, seed=0, amp=True)  # bf16 autocast on CPU
    stats = trainer.train_step()
    assert trainer.amp_dtype == torch.bfloat16 and all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    assert all(p.dtype == torch.float32 for p in trainer.G.parameters())
