"""The discriminators and what each teaches: the look by still frames, the path by clips, word heads, wrong prompts."""
import numpy as np
import pytest
import torch

from text2video.errors import UserError
from text2video.models import centred_crops, frame_centres
from text2video.train import Trainer, get_config
from text2video.train.routing import asks_another_look, generated, real_places, still_frames



@pytest.mark.parametrize("preset", ["tiny", "tutorial"])
def test_every_design_makes_clips_in_range_and_trains_a_step(tmp_path, preset):
    sizes = get_config("tiny").model  # the tutorial's design at the tiny preset's sizes
    cfg = get_config(preset, window=8) if preset == "tiny" else get_config(preset, **{
        k: getattr(sizes, k) for k in ("frames", "size", "core", "hidden", "g_channels", "d_channels", "up_channels")})
    trainer = Trainer(cfg, "circles", tmp_path / preset, seed=0)
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])
    clips = trainer.G(torch.randn(2, *trainer.G.noise_shape), trainer.vocab.batch(["circle moving up"] * 2))
    side = 16 if preset == "tiny" else 8  # the sprite design draws at full size, the tutorial's at the core side
    assert clips.shape == (2, 3, 4, side, side) and clips.min() >= -1 and clips.max() <= 1


def test_centred_crops_follow_the_object_and_read_background_outside_the_frame():
    frames = torch.full((2, 3, 16, 16), -1.0)
    frames[0, :, 2:5, 10:13] = 1.0  # a 3x3 square centred on pixel (3, 11)
    frames[1, :, 0:2, 0:2] = 1.0  # a corner: the window hangs over the frame's edge
    crops = centred_crops(frames, 8)
    assert crops.shape == (2, 3, 8, 8)
    assert crops[0].amax(0)[3:6, 3:6].eq(1).all() and crops[0].eq(1).sum() == 27  # all of the square, centred
    assert crops[1].eq(1).sum() == 12 and crops[1].eq(-1).sum() == 3 * 64 - 12  # outside reads as background


@pytest.mark.parametrize("judge", ["image", "window"])
def test_look_discriminators_teach_the_look_and_not_the_path(tmp_path, judge):
    trainer = Trainer(get_config("tiny", window=8, image_look=True), "circles", tmp_path / "run", seed=0)
    G = trainer.G
    ids = trainer.vocab.batch(["circle moving up"] * 4)
    sprite, path = G.parts(torch.randn(4, *G.noise_shape), ids)
    frames = still_frames(trainer.G, sprite, path, trainer.cfg.image_frames)
    frame_ids = ids.repeat_interleave(trainer.cfg.image_frames, 0)
    score = trainer.Di(frames) if judge == "image" else trainer.Dw(centred_crops(frames, 8), frame_ids)
    score.mean().backward()
    assert all(p.grad is None for p in [*G.path.parameters(), *G.path_text.parameters()])
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.blocks.parameters())


@pytest.mark.parametrize("judge", ["image", "window"])
def test_the_words_look_is_coloured_by_the_prompt_reading_image_discriminator_and_shaped_by_both(tmp_path, judge):
    cfg = get_config("tiny", window=8, look="words", image_text=True)
    trainer = Trainer(cfg, "shapes", tmp_path / "run", seed=0)
    G = trainer.G
    ids = trainer.vocab.batch(["red square moving up"] * 4)
    _, (frames, windowed), _ = generated(G, cfg, trainer.step, torch.randn(4, *G.noise_shape), ids, clips=False)
    frame_ids = ids.repeat_interleave(cfg.image_frames, 0)
    score = trainer.Di(frames, frame_ids) if judge == "image" else trainer.Dw(centred_crops(windowed, 8))
    score.mean().backward()
    assert (G.look.colour.table.grad is not None and G.look.colour.table.grad.abs().sum() > 0) == (judge == "image")
    assert G.look.sides.table.grad.abs().sum() > 0


@pytest.mark.parametrize("video_path", [False, True])
def test_video_path_keeps_the_video_discriminator_from_the_look(tmp_path, video_path):
    trainer = Trainer(get_config("tiny", video_path=video_path, path_after=0), "circles", tmp_path / "run", seed=0)
    G = trainer.G
    ids = trainer.vocab.batch(["circle moving up"] * 4)
    [(clips, _)], _, _ = generated(trainer.G, trainer.cfg, trainer.step, torch.randn(4, *G.noise_shape), ids)
    trainer.Dv(trainer.at_core(clips), ids).mean().backward()
    look = [*G.text.parameters(), *G.look.parameters(), *G.blocks.parameters(), *G.to_rgba.parameters()]
    assert all(p.grad is None for p in look) == video_path
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.path.parameters())


def test_look_at_real_draws_the_object_where_the_real_frames_have_theirs(tmp_path):
    trainer = Trainer(get_config("tiny", image_look=True, look_at_real=True, centre=True, size=32, core=16),
                      "circles", tmp_path / "run", seed=0)
    s = trainer.G.window.shape[-1]
    sprite = torch.zeros(2, 4, s, s)
    sprite[:, :, 1:4, 1:4] = 1.0  # a white square in the sprite's top-left corner: its middle is not the object's
    real64, _, _ = trainer.real.batch(2)
    real = trainer.frames_for_image_d(real64, None, trainer.cfg.image_frames)
    still = still_frames(trainer.G, sprite, None, trainer.cfg.image_frames, real_places(real, trainer.cfg.image_frames))
    assert torch.allclose(frame_centres(still), frame_centres(real), atol=0.5)  # pixels


def test_path_after_keeps_the_path_still_until_its_step(tmp_path):
    trainer = Trainer(get_config("tiny", path_after=3, video_path=False), "circles", tmp_path / "run", seed=0)
    G, ids = trainer.G, trainer.vocab.batch(["circle moving up"] * 4)
    for step, learns in ((2, False), (3, True)):
        trainer.step = step
        G.zero_grad(set_to_none=True)
        [(clips, _)], _, _ = generated(trainer.G, trainer.cfg, trainer.step, torch.randn(4, *G.noise_shape), ids)
        trainer.Dv(trainer.at_core(clips), ids).mean().backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.path.parameters()) == learns
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.blocks.parameters())


def test_image_look_trains_a_step_and_needs_the_sprite_design(tmp_path):
    trainer = Trainer(get_config("tiny", image_look=True), "circles", tmp_path / "run", seed=0)
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])
    with pytest.raises(UserError, match="image_look needs the sprite design"):
        get_config("tiny", image_look=True, design="tutorial")


@pytest.mark.parametrize("overrides, message", [
    ({"window": 32}, "window must be 0 or a power of two"),
    ({"window": 12}, "window must be 0 or a power of two"),
    ({"window_words": 1.0}, "with window > 0"),
    ({"window": 8, "window_real": 0.0}, "and > 0 unless window_words is"),
    ({"window": 8, "design": "tutorial"}, "window needs the sprite design"),
    ({"window": 8, "image_frames": 0}, "image_frames must be > 0"),
])
def test_impossible_window_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        get_config("tiny", **overrides)


def test_a_wrong_prompt_asks_another_look_only_if_its_shape_colour_or_size_differs():
    prompts = ["red square moving up", "red square moving up", "small circle moving left", "circle moving up"]
    wrong = ["red square moving down slowly", "blue square moving up", "circle moving left", "circle moving right"]
    assert asks_another_look(prompts, wrong).tolist() == [False, True, True, False]


def test_image_mismatch_judges_frames_with_another_look_s_prompt_and_nothing_else(tmp_path):
    """On circles no wrong prompt asks another look, so the option changes nothing; on shapes it
    adds (real frame, wrong prompt) fakes to the image discriminator's loss."""
    def loss_d(data, mismatch):
        cfg = get_config("tiny", image_text=True, image_mismatch=mismatch)
        return Trainer(cfg, data, tmp_path / f"{data}-{mismatch}", seed=0).train_step()["loss_d"]

    assert loss_d("circles", True) == loss_d("circles", False)
    assert loss_d("shapes", True) != loss_d("shapes", False)


def test_image_discriminator_word_head_trains_a_step(tmp_path):
    trainer = Trainer(get_config("tiny", image_words=1.0), "circles", tmp_path / "run", seed=0)
    assert trainer.Di.words is not None and trainer.Di.text is None
    before = trainer.Di.words.weight.detach().clone()
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and not torch.equal(before, trainer.Di.words.weight)


@pytest.mark.parametrize("real", [1.0, 0.0])
def test_window_discriminator_word_head_trains_a_step_with_or_without_its_realism_score(tmp_path, real):
    trainer = Trainer(get_config("tiny", window=8, window_words=1.0, window_real=real), "circles", tmp_path / "run",
                      seed=0)
    assert trainer.Dw.words is not None and trainer.Di.words is None
    words, score = (p.detach().clone() for p in (trainer.Dw.words.weight, trainer.Dw.out.parametrizations.weight.original))
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and not torch.equal(words, trainer.Dw.words.weight)
    assert torch.equal(score, trainer.Dw.out.parametrizations.weight.original) == (real == 0)


@pytest.mark.parametrize("overrides, message", [
    ({"image_look": False}, "set image_look=true with it"),
    ({"image_look": False, "video_path": False}, "look_at_real works on the image discriminator's still frames"),
    ({"image_frames": 0}, "image_look teaches the look through the image discriminator's frames"),
    ({"path_after": -1}, "path_after must be a step number >= 0"),
    ({"image_look": False, "video_path": False, "look_at_real": False, "design": "tutorial"},
     "path_after needs the sprite design"),
    ({"design": "tutorial"}, "image_look needs the sprite design"),
    ({"look": "words", "design": "tutorial"}, "look=words draws the sprite design's sprite"),
    ({"look": "vector"}, "look must be one of conv, words"),
    ({"image_mismatch": True}, "set image_text=true with it"),
])
def test_impossible_discriminator_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        get_config("tiny", **overrides)


@pytest.mark.parametrize("kind", ["hinge", "bce"])
def test_the_fooling_loss_counts_each_input_by_its_share(kind):
    from types import SimpleNamespace

    from text2video.train.losses import fooling_loss

    # a stand-in discriminator: its score is a feature's first number, its word logits the features
    D = SimpleNamespace(score=lambda f, ids: f[:, 0], words=lambda f: f)
    f, bag = torch.tensor([[2.0, -1.0], [-3.0, 4.0], [0.5, 0.5]]), torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    share = torch.tensor([0.25, 0.0, 0.75])
    shared = fooling_loss(kind, D, (f, None), words=1.0, bag=bag, share=share)
    # the same as each input's own loss (shared alike) weighed by its share
    each = [fooling_loss(kind, D, (f[i:i + 1], None), words=1.0, bag=bag[i:i + 1]) for i in range(3)]
    torch.testing.assert_close(shared, sum(s * e for s, e in zip(share, each)) / 3)
