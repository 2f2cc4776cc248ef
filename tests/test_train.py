"""Training, checkpoints and generation on a tiny config: fast, seeded, exact."""
import json

import numpy as np
import pytest
import torch

import text2video
from text2video.errors import UserError
from text2video.models import (EARLIER, FACETS, INSIDE, ModelConfig, centred_crops, downsample, fold, frame_centres,
                               make_generator)
from text2video.synth import SIZES, Attributes
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

    cfg = get_config("tiny", **dict(map(parse_setting, ["window_text=true", "g_channels=16", "betas=0.0,0.9",
                                                         "ema=0.99", "loss=bce"])))
    assert cfg.window_text is True and cfg.model.g_channels == 16 and cfg.betas == (0.0, 0.9)
    assert cfg.ema == 0.99 and cfg.loss == "bce"


def test_unknown_training_preset_is_explained():
    with pytest.raises(UserError, match="unknown training preset 'huge'; known: cpu, gpu, gpu128, tutorial, tiny"):
        get_config("huge")


def test_loading_a_model_with_an_altered_weight_file_fails(tiny):
    path = tiny.fit(steps=1, progress=False)
    weights = path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(UserError, match="model.safetensors does not match its checksum"):
        text2video.load(path)


@pytest.mark.parametrize("design", ["latent", "sprite", "tutorial"])
def test_every_design_makes_clips_in_range_and_trains_a_step(tmp_path, design):
    window = 8 if design == "sprite" else 0  # the window discriminator needs the sprite design
    trainer = Trainer(get_config("tiny", design=design, window=window), "circles", tmp_path / design, seed=0)
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])
    clips = trainer.G(torch.randn(2, *trainer.G.noise_shape), trainer.vocab.batch(["circle moving up"] * 2))
    side = 16 if design == "sprite" else 8  # the sprite design draws at full size, the others at the core side
    assert clips.shape == (2, 3, 4, side, side) and clips.min() >= -1 and clips.max() <= 1


def test_centred_crops_follow_the_object_and_read_background_outside_the_frame():
    frames = torch.full((2, 3, 16, 16), -1.0)
    frames[0, :, 2:5, 10:13] = 1.0  # a 3x3 square centred on pixel (3, 11)
    frames[1, :, 0:2, 0:2] = 1.0  # a corner: the window hangs over the frame's edge
    crops = centred_crops(frames, 8)
    assert crops.shape == (2, 3, 8, 8)
    assert crops[0].amax(0)[3:6, 3:6].eq(1).all() and crops[0].eq(1).sum() == 27  # all of the square, centred
    assert crops[1].eq(1).sum() == 12 and crops[1].eq(-1).sum() == 3 * 64 - 12  # outside reads as background


def test_window_discriminator_reads_the_prompt_and_trains_a_step(tmp_path):
    trainer = Trainer(get_config("tiny", window=8, window_text=True), "circles", tmp_path / "run", seed=0)
    assert trainer.Dw.text is not None
    before = [p.detach().clone() for p in trainer.Dw.parameters()]
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])
    assert any(not torch.equal(a, p) for a, p in zip(before, trainer.Dw.parameters()))


@pytest.mark.parametrize("judge", ["image", "window"])
def test_look_discriminators_teach_the_look_and_not_the_path(tmp_path, judge):
    trainer = Trainer(get_config("tiny", window=8, image_look=True), "circles", tmp_path / "run", seed=0)
    G = trainer.G
    ids = trainer.vocab.batch(["circle moving up"] * 4)
    sprite, path = G.parts(torch.randn(4, *G.noise_shape), ids)
    frames = trainer.still_frames(sprite, path)
    frame_ids = ids.repeat_interleave(trainer.cfg.image_frames, 0)
    score = trainer.Di(frames) if judge == "image" else trainer.Dw(centred_crops(frames, 8), frame_ids)
    score.mean().backward()
    assert all(p.grad is None for p in [*G.path.parameters(), *G.path_text.parameters()])
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.blocks.parameters())


@pytest.mark.parametrize("video_path", [False, True])
def test_video_path_keeps_the_video_discriminator_from_the_look(tmp_path, video_path):
    trainer = Trainer(get_config("tiny", image_look=True, video_path=video_path), "circles", tmp_path / "run", seed=0)
    G = trainer.G
    ids = trainer.vocab.batch(["circle moving up"] * 4)
    clips, _ = trainer.generated(torch.randn(4, *G.noise_shape), ids)
    trainer.Dv(trainer.at_core(clips), ids).mean().backward()
    look = [*G.text.parameters(), *G.look.parameters(), *G.blocks.parameters(), *G.to_rgba.parameters()]
    assert all(p.grad is None for p in look) == video_path
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.path.parameters())


def test_image_path_lets_the_image_discriminator_move_the_path_and_not_the_look(tmp_path):
    cfg = get_config("tiny", image_look=True, video_path=True, look_at_real=True, image_path=True)
    trainer = Trainer(cfg, "circles", tmp_path / "run", seed=0)
    G = trainer.G
    clips, _ = trainer.generated(torch.randn(4, *G.noise_shape), trainer.vocab.batch(["circle moving up"] * 4))
    trainer.Di(trainer.frames_for_image_d(clips, None, cfg.image_frames)).mean().backward()
    assert all(p.grad is None for p in [*G.blocks.parameters(), *G.to_rgba.parameters()])
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.path.parameters())
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])


def test_path_lr_scale_sets_the_path_learning_rate_alone(tmp_path):
    trainer = Trainer(get_config("tiny", path_lr_scale=3.0), "circles", tmp_path / "run", seed=0)
    G = trainer.G
    look, path = trainer.opt_g.param_groups
    assert look["lr"] == trainer.cfg.lr and path["lr"] == 3 * trainer.cfg.lr
    assert {id(p) for p in path["params"]} == {id(p) for p in [*G.path.parameters(), *G.path_text.parameters()]}
    assert len(look["params"]) + len(path["params"]) == sum(p.requires_grad for p in G.parameters())
    trainer.train_step()
    trainer.save()
    again = Trainer(get_config("tiny", path_lr_scale=3.0), "circles", tmp_path / "run", seed=0)
    assert again.resume() and [g["lr"] for g in again.opt_g.param_groups] == [trainer.cfg.lr, 3 * trainer.cfg.lr]


def test_look_at_real_draws_the_object_where_the_real_frames_have_theirs(tmp_path):
    trainer = Trainer(get_config("tiny", image_look=True, look_at_real=True, centre=True, size=32, core=16),
                      "circles", tmp_path / "run", seed=0)
    s = trainer.G.window.shape[-1]
    sprite = torch.zeros(2, 4, s, s)
    sprite[:, :, 1:4, 1:4] = 1.0  # a white square in the sprite's top-left corner: its middle is not the object's
    real64, _, _ = trainer.real.batch(2)
    real = trainer.frames_for_image_d(real64, None, trainer.cfg.image_frames)
    still = trainer.still_frames(sprite, None, trainer.real_places(real))
    assert torch.allclose(frame_centres(still), frame_centres(real), atol=0.5)  # pixels


def test_path_after_keeps_the_path_still_until_its_step(tmp_path):
    trainer = Trainer(get_config("tiny", path_after=3), "circles", tmp_path / "run", seed=0)
    G, ids = trainer.G, trainer.vocab.batch(["circle moving up"] * 4)
    for step, learns in ((2, False), (3, True)):
        trainer.step = step
        G.zero_grad(set_to_none=True)
        clips, _ = trainer.generated(torch.randn(4, *G.noise_shape), ids)
        trainer.Dv(trainer.at_core(clips), ids).mean().backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.path.parameters()) == learns
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.blocks.parameters())


def test_image_look_trains_a_step_and_needs_the_sprite_design(tmp_path):
    trainer = Trainer(get_config("tiny", image_look=True), "circles", tmp_path / "run", seed=0)
    stats = trainer.train_step()
    assert np.isfinite(stats["loss_d"]) and np.isfinite(stats["loss_g"])
    with pytest.raises(UserError, match="image_look needs the sprite design"):
        get_config("tiny", image_look=True, design="latent")


@pytest.mark.parametrize("overrides, message", [
    ({"window": 32}, "window must be 0 or a power of two"),
    ({"window": 12}, "window must be 0 or a power of two"),
    ({"window_words": 1.0}, "with window > 0"),
    ({"window": 8, "window_real": 0.0}, "and > 0 unless window_words is"),
    ({"window": 8, "design": "latent"}, "window needs the sprite design"),
    ({"window": 8, "image_frames": 0}, "image_frames must be > 0"),
])
def test_impossible_window_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        get_config("tiny", **overrides)


def test_a_wrong_prompt_asks_another_look_only_if_its_shape_colour_or_size_differs():
    from text2video.train.trainer import asks_another_look

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


@pytest.mark.parametrize("path", ["inside", "sine", "fold"])
def test_an_inside_path_keeps_every_centre_in_the_frame(path):
    G = make_generator(ModelConfig(path=path, centre=False), 40)
    with torch.no_grad():
        G.path[-1].weight.mul_(20)  # asks for paths far longer than the frame
    _, path = G.parts(3 * torch.randn(512, *G.noise_shape), torch.randint(1, 40, (512, 5)))
    assert path.abs().max() <= INSIDE + 1e-6
    assert (path[:, -1] - path[:, 0]).abs().max() > 1.5, "no long path was tried"


def test_a_centred_sprite_puts_its_centre_of_mass_on_the_path():
    G = make_generator(ModelConfig(centre=True), 40)
    s = G.window.shape[-1]
    alpha = torch.zeros(1, 1, s, s)
    alpha[0, 0, 2:7, 15:20] = 1  # an object in the upper right of its sprite
    sprite = torch.cat([torch.ones(1, 3, s, s), alpha], 1)
    at = torch.tensor([0.3, -0.2])  # where the path says the object is, frame units
    frame = (G.render(sprite, (at - G.span * G.centre_of(alpha))[:, None])[0, 0, 0] + 1) / 2  # (H, W) in [0, 1]
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    centre = torch.stack([(frame * xs).sum(), (frame * ys).sum()]) / frame.sum()
    torch.testing.assert_close(centre, (at + 1) * 32 - 0.5, atol=1e-3, rtol=0)  # pixel centres


def polygon_logits(G, shape: str, size: str) -> torch.Tensor:
    """(3 + FACETS,) the polygon look's logits for a magenta `shape` of `size` drawn as the data draws it."""
    half, width = G.reach.shape[0] / 2 - 1, SIZES[size] * G.side  # pixels
    sides = {"circle": dict.fromkeys(range(FACETS), width), "square": dict.fromkeys((0, 6, 12, 18), width),
             "triangle": dict.fromkeys((6, 14, 22), width / 3 ** 0.5)}[shape]  # normals every 15 degrees, y down
    p = torch.full((3 + FACETS,), 12.0)  # unused sides far out
    p[:3] = torch.tensor([4.0, -4.0, 4.0])
    for i, d in sides.items():
        p[3 + i] = torch.logit(torch.tensor(d / half))
    return p


def test_the_polygon_look_can_draw_each_shape_as_sharp_as_the_data_and_not_another():
    from text2video.evaluate.analytic import judge, measure
    from text2video.data import to_uint8

    G = make_generator(ModelConfig(look="polygon", centre=True), 40)
    drawn = [(s, z) for s in ("circle", "square", "triangle") for z in ("small", "large")]
    p = torch.stack([polygon_logits(G, s, z) for s, z in drawn])
    path = torch.stack([torch.linspace(-0.4, 0.3, 16), torch.linspace(0.3, -0.4, 16)], 1) + 0.013  # off the pixel grid
    clips = to_uint8(G.render(p, G.anchor(path.expand(len(drawn), -1, -1), p)))
    for asked, passes in ((lambda s: s, True), (lambda s: {"circle": "triangle"}.get(s, "circle"), False)):
        attrs = [Attributes(shape=asked(s), colour="magenta", size=z, direction="up-right") for s, z in drawn]
        checks = judge(measure(clips, attrs), attrs)
        assert checks["shape"].tolist() == [passes] * len(drawn), (passes, measure(clips, attrs)["iou"])
        assert checks["colour"].all() and checks["direction"].all()
        assert checks["size"].all() or not passes  # the size check reads the area as the asked shape's


def test_the_polygon_look_passes_a_gradient_to_its_sides_colour_and_path():
    G = make_generator(ModelConfig(look="polygon", centre=True), 40)
    p = polygon_logits(G, "square", "large")[None].repeat(2, 1).requires_grad_(True)
    path = (0.1 * torch.randn(2, 16, 2)).requires_grad_(True)
    video = G.render(p, G.anchor(path, p))
    (video[:, 0].mean() + video[:, :, :, :32].mean()).backward()  # redder, and more of it on the left
    assert p.grad[:, 3 + 0].abs().min() > 0 and p.grad[:, 0].abs().min() > 0  # the right side and the red
    assert path.grad[..., 0].abs().min() > 0


def test_soft_sides_draw_the_same_polygon_and_teach_a_side_that_draws_no_edge():
    """A square's diagonal sides lie outside it: with the hard minimum they get no gradient, with
    soft_sides they do, and the drawing is the same."""
    frames, grads = [], []
    for soft in (0.0, 1.0):
        G = make_generator(ModelConfig(look="polygon", soft_sides=soft), 40)
        p = polygon_logits(G, "square", "large")
        p[3:][p[3:] == 12.0] = 2.0  # the unused sides just outside the square's corners (9.7 px; corners 9.5)
        p = p[None].requires_grad_(True)
        alpha = G.polygon_alpha(p, torch.tensor([[0.3, -0.2]]))
        alpha.mean().backward()
        frames.append(alpha.detach())
        grads.append(p.grad[0, 3 + 3])  # the side at 45 degrees, beside the square's bottom-right corner
    assert torch.equal(frames[0], frames[1])
    assert grads[0] == 0 and grads[1] > 0


def test_sine_and_fold_paths_are_never_stuck_where_a_tanh_path_saturates():
    """A midpoint the generator has pushed far out (raw outputs 3 to 6) still gets a gradient
    with the sine and fold bounds; with tanh it gets almost none, and stays."""
    pull = {}
    for path in ("inside", "sine", "fold"):
        G = make_generator(ModelConfig(path=path, centre=False), 40)
        raw = torch.zeros(64, 4)
        raw[:, :2] = torch.linspace(3, 6, 64)[:, None]  # midpoints far out, no motion
        raw.requires_grad_(True)
        del G.path
        G.path = lambda _, raw=raw: raw  # the path head's output, set by hand
        _, track = G.parts(torch.zeros(64, *G.noise_shape), torch.ones(64, 5, dtype=torch.long))
        track.sum().backward()
        pull[path] = raw.grad[:, :2].abs().mean().item()
    assert pull["inside"] < 0.1 and pull["sine"] > 5 * pull["inside"] and pull["fold"] > 5 * pull["inside"], pull


def test_fold_is_the_identity_inside_its_bounds_and_turns_back_beyond_them():
    x = (torch.linspace(-7, 7, 1401, dtype=torch.float64) + 0.003).requires_grad_(True)  # off the corners
    y = fold(x)
    y.sum().backward()
    inner = x.detach().abs() <= 1
    assert torch.allclose(y[inner], x[inner], rtol=0, atol=1e-12) and y.abs().max() <= 1
    assert torch.allclose(fold(torch.tensor([1.5, 2.5, -1.5])), torch.tensor([0.5, -0.5, -0.5]))
    assert x.grad.abs().eq(1).all()  # the slope never vanishes


def test_an_unknown_path_is_refused():
    with pytest.raises(UserError, match="path must be one of free, inside, sine, fold, got 'sideways'"):
        get_config("tiny", path="sideways")


def test_look_words_that_start_at_zero_give_every_prompt_one_look_until_training_moves_them(tmp_path):
    trainer = Trainer(get_config("tiny", look_word_std=0.0), "circles", tmp_path / "run", seed=0)
    G, vocab = trainer.G, trainer.vocab
    ids = vocab.batch(["circle moving up", "circle moving up-right", "circle moving left"])
    looks = G.text(ids)
    assert torch.equal(looks[0], looks[1]) and torch.equal(looks[0], looks[2])
    assert not torch.allclose(G.path_text(ids)[0], G.path_text(ids)[1]), "the path must tell the words apart at once"
    trainer.train_step()
    assert G.text.embed.weight[vocab.index("up")].abs().sum() > 0, "training never moved a look word"


def test_a_config_written_before_the_recipe_s_newer_fields_loads_as_it_was_trained():
    data = ModelConfig().to_json()
    for key in EARLIER:
        del data[key]
    old = ModelConfig.from_json(data)
    assert (old.look_word_std, old.path, old.centre, old.sprite_prior, old.look) == (0.3, "free", False, 0.0, "conv")
    assert ModelConfig.from_json(ModelConfig().to_json()) == ModelConfig()


def test_a_faint_haze_pulls_the_alpha_centre_and_hardly_the_light_centre():
    s = make_generator(ModelConfig(), 40).window.shape[-1]
    sprite = torch.ones(1, 4, s, s)  # white
    sprite[0, 3] = 0.05  # a faint haze over the whole sprite
    sprite[0, 3, 1:10, 1:10] = 1.0  # and the object, in the top-left corner
    object_centre = (2 * 5.0 + 1) / s - 1  # the middle of pixels 1..9
    off = {}
    for on in ("alpha", "light"):
        G = make_generator(ModelConfig(centre_on=on), 40)
        off[on] = (G.centre_of(G.mass(sprite)) - object_centre).abs().max().item()
    assert off["light"] < 0.02 and off["alpha"] > 0.1, off


def test_a_sprite_prior_starts_every_sprite_as_a_white_disc_in_its_middle():
    ids = torch.randint(1, 40, (16, 5))
    z = torch.randn(16, 24, generator=torch.Generator().manual_seed(0))
    middle_over_edge, white = {}, {}
    for prior in (0.0, 3.0):
        torch.manual_seed(0)  # the same untrained weights
        G = make_generator(ModelConfig(sprite_prior=prior), 40)
        sprite = G.parts(z, ids)[0]
        alpha, s = sprite[:, 3], sprite.shape[-1]  # (B, S, S)
        white[prior] = sprite[:, :3, s // 2 - 4 : s // 2 + 4, s // 2 - 4 : s // 2 + 4].mean().item()  # -1 black, 1 white
        middle = alpha[:, s // 2 - 2 : s // 2 + 2, s // 2 - 2 : s // 2 + 2].mean((1, 2))
        ring = alpha[:, 2:-2, 2:-2].clone()
        ring[:, 2:-2, 2:-2] = float("nan")  # the second and third rings in from the edge
        middle_over_edge[prior] = (middle / ring.nanmean((1, 2))).min().item()
    assert middle_over_edge[3.0] > 5 and middle_over_edge[0.0] < 2, middle_over_edge
    assert white[3.0] > 0.8 and white[0.0] < 0.5, white


def test_r1_smooths_the_discriminators_at_real_data(tmp_path):
    """Same seed, same batches: with R1 the discriminators' scores are flatter around real inputs."""
    def steepness(r1):
        trainer = Trainer(get_config("tiny", r1=r1, r1_every=1), "circles", tmp_path / f"r1-{r1}", seed=0)
        for _ in range(8):
            trainer.train_step()
            trainer.step += 1
        torch.manual_seed(5)
        real64, prompts, _ = trainer.real.batch(4)
        ids = trainer.vocab.batch(prompts)
        return trainer.r1_penalty(downsample(real64, 2), real64, ids, ids.repeat_interleave(trainer.cfg.image_frames, 0)).item()

    assert steepness(100.0) < 0.5 * steepness(0.0)


@pytest.mark.parametrize("overrides, message", [
    ({"r1": -1.0}, "r1 must be >= 0"),
    ({"r1_every": 0}, "r1_every >= 1"),
    ({"d_lr_scale": 0.0}, "d_lr_scale must be positive"),
    ({"path_lr_scale": 0.0}, "path_lr_scale must be positive"),
    ({"path_lr_scale": 2.0, "design": "latent"}, "path_lr_scale needs the sprite design"),
    ({"video_path": True}, "set image_look=true with it"),
    ({"look_at_real": True}, "set image_look=true with it"),
    ({"image_path": True, "image_look": True}, "set video_path=true with it"),
    ({"path_after": -1}, "path_after must be a step number >= 0"),
    ({"path_after": 10, "design": "latent"}, "path_after needs the sprite design"),
    ({"video_path": True, "image_look": True, "design": "latent"}, "image_look needs the sprite design"),
    ({"look": "polygon", "design": "latent"}, "look=polygon draws the sprite design's sprite"),
    ({"look": "polygon", "sprite_prior": 3.0}, "set sprite_prior=0 with look=polygon"),
    ({"look": "vector"}, "look must be one of conv, polygon"),
    ({"image_mismatch": True}, "set image_text=true with it"),
    ({"soft_sides": 1.0}, "soft_sides is a temperature in pixels >= 0 for the polygon look"),
    ({"soft_sides": -1.0, "look": "polygon"}, "soft_sides is a temperature"),
])
def test_impossible_discriminator_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        get_config("tiny", **overrides)
