"""The motion module of the sprite design (path="motion"): every pattern is a regime of one pose
family, each part of it read from the words of one grammatical role, and the sprite turns and
grows exactly as its pose says."""
import math

import pytest
import torch

from text2video.errors import UserError
from text2video.models import ModelConfig, make_generator
from text2video.models.motion import KINDS, ODDS_PACE, PACE, REGIME, SWING, word_roles
from text2video.text import Vocabulary
from text2video.train import Trainer, get_config

VOCAB = Vocabulary.from_grammar()
OFF = -30.0  # a raw regime number far below its sigmoid's middle: none of it


def motion_with(regime: dict[str, float], words: dict[str, tuple[float, ...]] = (), vary: dict[int, float] = (),
                kind: str = "line"):
    """A MotionNet whose regime (REGIME names -> raw number) is the same for every prompt, whose
    paths are all of `kind` (KINDS), whose direction, axis and sense words hold the numbers given,
    and whose noise-set outputs are the constants `vary` (index -> value, else 0) whatever the noise."""
    G = make_generator(ModelConfig(path="motion", centre=False), len(VOCAB))
    net = G.motion
    with torch.no_grad():
        net.regime.table.zero_()
        travel = {k: regime["travel"] for k in KINDS if "travel" in regime}  # each kind's, as "travel" says
        net.start.copy_(torch.tensor([{**travel, **regime}.get(k, OFF if k in ("swing", "turn", "bounce") else 0.0)
                                      for k in net.names]) / PACE)
        net.kind.table.zero_()
        net.kind_start.copy_(torch.tensor([-OFF if k == kind else OFF for k in KINDS[1:]]) / ODDS_PACE)
        net.vary[-1].weight.zero_()
        net.vary[-1].bias.zero_()
        for i, v in dict(vary).items():
            net.vary[-1].bias[i] = v
        for table in (net.direction, net.axis, net.sense):
            table.table.zero_()
        for word, numbers in dict(words).items():
            part = {1: net.direction, 2: net.axis, 3: net.sense}[int(word_roles(len(VOCAB))[VOCAB.index(word)])]
            part.table[VOCAB.index(word)] = torch.tensor(numbers) / part.pace
    return net


def pose_of(net, prompt: str, z: torch.Tensor | None = None) -> torch.Tensor:
    with torch.no_grad():
        return net(torch.randn(1, 24) if z is None else z, VOCAB.batch([prompt]))[0]  # (T, 4)


def test_a_line_without_turn_or_growth_is_a_straight_steady_path_for_any_noise():
    net = make_generator(ModelConfig(path="motion"), len(VOCAB)).motion
    with torch.no_grad():
        net.start[3:5] = -OFF / PACE  # a swing and a turn, which a line and no sense word keep at none
        net.start[5] = 0.0  # growth: tanh of 0
        net.kind_start.fill_(OFF / ODDS_PACE)  # lines
        net.regime.table.zero_()
        net.kind.table.zero_()
        pose = net(5 * torch.randn(64, 24), VOCAB.batch(["circle moving left"] * 64))
    steps = pose[:, 1:, :2] - pose[:, :-1, :2]
    torch.testing.assert_close(steps, steps[:, :1].expand_as(steps), atol=1e-5, rtol=0)
    assert pose[..., 2].abs().max() == 0 and (pose[:, :, 3] - pose[:, :1, 3]).abs().max() < 1e-6


def test_the_line_path_is_straight_steady_upright_and_of_one_size_whatever_the_words_ask():
    torch.manual_seed(0)
    net = make_generator(ModelConfig(path="line"), len(VOCAB)).motion
    with torch.no_grad():
        net.regime.table.normal_(std=0.5)  # words that ask for swing, turn, growth and bounce
        net.vary[-1].bias.normal_(std=3.0)
        pose = net(5 * torch.randn(64, 24), VOCAB.batch(["circle bouncing vertically", "circle moving left"] * 32))
    steps = pose[:, 1:, :2] - pose[:, :-1, :2]
    torch.testing.assert_close(steps, steps[:, :1].expand_as(steps), atol=1e-5, rtol=0)
    assert pose[..., 2:].abs().max() == 0 and steps.abs().amax() > 0


def test_a_bounce_meets_the_edge_mid_clip_and_turns_back_there():
    net = motion_with({"travel": 2.0, "edge": OFF}, {"horizontally": (1.0, 0.0)}, {4: 0.3}, kind="bounce")
    x = pose_of(net, "circle bouncing horizontally")[:, 0]
    step = x[1:] - x[:-1]
    assert ((step[1:] * step[:-1]) < 0).sum() == 1, "one reversal"
    assert x.abs().max() == pytest.approx(0.85, abs=0.03) and (x.abs() <= 0.85 + 1e-6).all()
    assert 0.2 * 15 <= int(x.abs().argmax()) <= 0.8 * 15


def test_an_axis_sign_comes_from_the_noise_so_a_bounce_meets_either_edge():
    net = motion_with({"travel": 2.0}, {"vertically": (0.0, 1.0)}, kind="bounce")
    z = torch.randn(200, 24)
    with torch.no_grad():
        y = net(z, VOCAB.batch(["circle bouncing vertically"] * 200))[:, :, 1]
    turned_at = y.gather(1, y.abs().argmax(1, keepdim=True))[:, 0]
    assert ((turned_at > 0) == (z[:, 16] > 0)).all() and 60 < (turned_at > 0).sum() < 140


def test_a_swing_across_the_axis_zigzags_while_the_path_progresses():
    net = motion_with({"travel": 0.0, "swing": -OFF}, {"vertically": (0.0, 1.0)}, kind="zigzag")
    z = torch.randn(1, 24).abs()  # along +y
    pose = pose_of(net, "circle zigzagging vertically", z)
    along, across = pose[:, 1], pose[:, 0]
    assert ((along[1:] - along[:-1]) > 0).all()
    step = across[1:] - across[:-1]
    assert ((step[1:] * step[:-1]) < 0).sum() >= 2 and across.max() - across.min() == pytest.approx(SWING, abs=0.1)


def test_a_zigzag_swings_at_least_its_least_swing_and_a_line_not_at_all():
    from text2video.models.motion import LEAST_SWING

    for kind, least in (("zigzag", LEAST_SWING), ("line", 0.0)):
        net = motion_with({"travel": 0.0, "swing": OFF}, {"vertically": (0.0, 1.0)}, kind=kind)
        z = 3 * torch.randn(32, 24)
        with torch.no_grad():
            pose = net(z, VOCAB.batch(["circle zigzagging vertically"] * 32))
        across = pose[..., 0].amax(1) - pose[..., 0].amin(1)  # (32,)
        assert across.min() >= 0.7 * least - 1e-6 and across.max() <= 1.3 * least + 1e-6, (kind, across)


def test_a_bounce_or_a_zigzag_travels_at_least_its_least_travel_and_a_line_may_stand_still():
    from text2video.models.motion import LEAST_TRAVEL

    # a bounce meets its edge mid-clip: it goes half its travel and back
    for kind, least in (("zigzag", LEAST_TRAVEL), ("bounce", LEAST_TRAVEL / 2), ("line", 0.0)):
        net = motion_with({"travel": OFF, "swing": OFF}, {"vertically": (0.0, 1.0)}, kind=kind)
        y = pose_of(net, "circle zigzagging vertically")[:, 1]
        assert (y.max() - y.min()).item() == pytest.approx(least, abs=0.02), kind  # frames miss the bounce's turn


@pytest.mark.parametrize("prompt, sense", [("circle rotating clockwise", 1), ("circle rotating counter-clockwise", -1)])
def test_a_turn_takes_its_sense_from_the_sense_words(prompt, sense):
    net = motion_with({"travel": OFF, "turn": 2.0}, {"clockwise": (30.0,), "counter": (-60.0,)})
    pose = pose_of(net, prompt)
    assert sense * (pose[-1, 3] - pose[0, 3]) > math.pi and (pose[:, :2] - pose[:1, :2]).abs().max() < 1e-6


def test_a_model_saved_before_the_coin_is_refused_in_one_line():
    saved = ModelConfig(path="motion").to_json()
    assert ModelConfig.from_json(saved) == ModelConfig(path="motion")  # a model saved now loads
    with pytest.raises(UserError, match="sign of its sense words' sum"):
        ModelConfig.from_json({k: v for k, v in saved.items() if k != "sense"})
    with pytest.raises(UserError, match="sign of its sense words' sum"):
        ModelConfig.from_json({**saved, "sense": "sign"})
    line = {k: v for k, v in ModelConfig(path="line").to_json().items() if k != "sense"}
    assert ModelConfig.from_json(line) == ModelConfig(path="line")  # other paths never turned


def test_a_prompt_that_says_no_sense_does_not_turn_whatever_its_regime():
    net = motion_with({"travel": OFF, "turn": 30.0}, {"clockwise": (30.0,)}, vary={7: 0.5})
    shrinking, rotating = pose_of(net, "circle shrinking"), pose_of(net, "circle rotating clockwise")
    assert (shrinking[:, 3] - shrinking[0, 3]).abs().max() == 0 and rotating[:, 3].diff().min() > 0


@pytest.mark.parametrize("log_odds, clockwise", [(0.0, 0.5), (math.log(3), 0.75), (-30.0, 0.0)])
def test_the_sense_is_a_coin_drawn_from_the_noise_with_the_odds_the_words_set(log_odds, clockwise):
    net = motion_with({"travel": OFF, "turn": 2.0}, {"clockwise": (log_odds,)})
    with torch.no_grad():
        pose = net(torch.randn(4000, 24, generator=torch.Generator().manual_seed(0)),
                   VOCAB.batch(["circle rotating clockwise"] * 4000))
    turns = pose[:, -1, 3] - pose[:, 0, 3]
    assert turns.abs().min() > math.pi and (turns > 0).float().mean().item() == pytest.approx(clockwise, abs=0.03)


@pytest.mark.parametrize("growth", [0.6, -0.6])
def test_a_growth_changes_the_scale_by_a_constant_factor_a_frame(growth):
    pose = pose_of(motion_with({"growth": math.atanh(growth)}), "circle expanding")
    ratio = pose[1:, 2] - pose[:-1, 2]
    torch.testing.assert_close(ratio, torch.full_like(ratio, growth / 15), atol=1e-6, rtol=0)


def test_each_part_is_read_from_the_words_of_its_role_alone():
    net = make_generator(ModelConfig(path="motion"), len(VOCAB)).motion
    ids = VOCAB.batch(["circle bouncing horizontally", "circle zigzagging horizontally", "large red square horizontally"])
    axis, manner = net.axis(ids), net.manner(ids)
    torch.testing.assert_close(axis[0], axis[1])
    torch.testing.assert_close(axis[0], axis[2])
    assert net.direction(ids).abs().max() == 0 and not torch.allclose(manner[0], manner[1])
    torch.testing.assert_close(manner[0], net.manner(VOCAB.batch(["circle bouncing vertically"]))[0])


def test_two_direction_words_point_halfway_however_long_their_vectors_grew():
    net = motion_with({}, {"up": (0.0, -7.0), "right": (1.5, 0.0)})
    d = net.direction(VOCAB.batch(["circle moving up-right"]))[0].detach()
    assert math.degrees(math.atan2(-d[1], d[0])) == pytest.approx(45.0)


def test_a_bounce_along_one_axis_is_the_same_bounce_along_the_other():
    net = motion_with({"travel": 2.0}, {"vertically": (0.0, 1.0), "horizontally": (1.0, 0.0)}, kind="bounce")
    z = torch.randn(1, 24)
    up, side = (pose_of(net, f"circle bouncing {a}", z) for a in ("vertically", "horizontally"))
    torch.testing.assert_close(up[:, 1], side[:, 0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("look", ["conv", "words"])
def test_a_quarter_turn_of_the_pose_turns_the_frame_by_a_quarter_exactly(look):
    G = make_generator(ModelConfig(path="motion", centre=False, look=look), len(VOCAB))
    sprite = G.draw_sprite(torch.randn(2, *G.noise_shape), VOCAB.batch(["circle moving up"] * 2)).detach()
    if look == "conv":
        sprite = torch.rand_like(sprite) * 2 - 1  # any picture, asymmetric
        sprite[:, 3:] = sprite[:, 3:].abs() * G.window[0]
    else:
        sprite[:, 3:] = torch.randn_like(sprite[:, 3:])  # any polygon
    still = torch.zeros(2, 1, 4)
    turned = still + torch.tensor([0.0, 0.0, 0.0, math.pi / 2])  # clockwise on screen
    a, b = G.render(sprite, still), G.render(sprite, turned)
    torch.testing.assert_close(b, torch.rot90(a, -1, (-2, -1)), atol=1e-4, rtol=0)


def test_a_pose_at_scale_one_and_angle_zero_renders_as_a_path_does():
    G = make_generator(ModelConfig(path="motion"), len(VOCAB))
    sprite = G.draw_sprite(torch.randn(2, *G.noise_shape), VOCAB.batch(["circle moving up"] * 2))
    path = 0.5 * torch.rand(2, 16, 2) - 0.25
    pose = torch.cat([path, torch.zeros(2, 16, 2)], -1)
    torch.testing.assert_close(G.render(sprite, pose), G.render(sprite, path), atol=1e-5, rtol=0)


def test_a_doubled_scale_draws_the_sprite_twice_as_wide():
    G = make_generator(ModelConfig(path="motion", centre=False), len(VOCAB))
    s = G.window.shape[-1]
    sprite = torch.cat([torch.ones(1, 3, s, s), torch.zeros(1, 1, s, s)], 1)
    sprite[0, 3, 10:14, 10:14] = 1  # a 4-pixel square around the middle
    pose = torch.tensor([[[0.0, 0.0, math.log(2), 0.0]]])
    alpha = (G.render(sprite, pose)[0, 0, 0] + 1) / 2
    assert alpha.sum().item() == pytest.approx(64, abs=0.5)


def test_old_configs_keep_their_straight_path_and_have_no_motion_module():
    old = ModelConfig.from_json({k: v for k, v in ModelConfig().to_json().items() if k != "path"})
    G = make_generator(old, len(VOCAB))
    assert old.path == "free" and not hasattr(G, "motion") and hasattr(G, "path")


def test_the_motion_design_with_a_video_window_trains_a_step_on_every_pattern(tmp_path):
    cfg = get_config("tiny", frames=8, path="motion", video_window=8, image_text=True, path_after=0)
    trainer = Trainer(cfg, "patterns", tmp_path / "run", seed=0)
    stats = trainer.train_step()
    assert math.isfinite(stats["loss_d"]) and math.isfinite(stats["loss_g"])
    assert trainer.G.motion.regime.table.grad.abs().sum() > 0 and trainer.G.motion.axis.table.grad.abs().sum() > 0


def test_an_impossible_video_window_is_refused():
    with pytest.raises(UserError, match="video_window must be 0 or a power of two from 8 to the frame size 16"):
        get_config("tiny", video_window=12)


def test_the_windows_that_follow_the_object_teach_its_turn_and_growth_not_its_place(tmp_path):
    from text2video.train.routing import generated

    cfg = get_config("tiny", frames=8, path="motion", video_window=8, path_after=0)
    trainer = Trainer(cfg, "patterns", tmp_path / "run", seed=0)
    G, ids = trainer.G, VOCAB.batch(["circle rotating clockwise", "circle moving up"])
    _, _, turning = generated(G, cfg, 0, torch.randn(2, *G.noise_shape), ids)
    sum(clips.square().sum() for clips, _ in turning).backward()
    assert G.motion.regime.table.grad[:, REGIME.index("turn")].abs().sum() > 0
    assert G.motion.direction.table.grad is None or G.motion.direction.table.grad.abs().sum() == 0


def test_the_whole_clips_teach_the_place_and_growth_but_not_the_turn(tmp_path):
    from text2video.train.routing import generated

    cfg = get_config("tiny", frames=8, path="motion", centre=False, video_window=8, path_after=0)
    trainer = Trainer(cfg, "patterns", tmp_path / "run", seed=0)
    G, ids = trainer.G, VOCAB.batch(["circle rotating clockwise", "circle moving up", "circle shrinking"])
    [(clips, _), *_], _, _ = generated(G, cfg, 0, torch.randn(3, *G.noise_shape), ids)
    clips.square().sum().backward()
    assert G.motion.sense.table.grad is None or G.motion.sense.table.grad.abs().sum() == 0
    assert G.motion.direction.table.grad.abs().sum() > 0 and G.motion.regime.table.grad[:, REGIME.index("growth")].abs().sum() > 0


def test_the_prior_counts_the_paths_other_than_lines_and_growth_the_words_ask():
    still = motion_with({"growth": 0.0})
    busy = motion_with({"turn": -OFF, "growth": 30.0}, {"clockwise": (30.0,)}, kind="bounce")
    ids = VOCAB.batch(["circle rotating clockwise"])
    most = 2.0  # a kind of path and growth; never the turn
    assert still.cost(ids).item() == pytest.approx(0.0, abs=1e-6) and busy.cost(ids).item() == pytest.approx(most)


def test_the_windows_see_each_clip_turned_both_ways_and_their_odds_favour_the_sense_they_score_higher(tmp_path):
    from text2video.train.routing import generated

    cfg = get_config("tiny", frames=8, path="motion", video_window=8, path_after=0)
    trainer = Trainer(cfg, "patterns", tmp_path / "run", seed=0)
    G, ids = trainer.G, VOCAB.batch(["circle rotating counter-clockwise"] * 3)
    with torch.no_grad():
        G.motion.regime.table.zero_()
        G.motion.start[REGIME.index("turn")] = 2.0 / PACE  # a turn of most of TURN for every prompt
    (cw, p), (ccw, q) = generated(G, cfg, 0, torch.randn(3, *G.noise_shape), ids)[2]
    torch.testing.assert_close(p + q, torch.ones(3))
    turned = (cw - ccw).abs().amax((1, 2, 3, 4))
    assert turned.min() > 0.1  # the two senses differ in every clip
    # a stand-in for the windows' score that prefers the clockwise clips: the expected score grows
    # as the odds of clockwise grow, whatever the prompt's words say
    prefer = cw.detach()
    expected = (p * (cw * prefer).sum((1, 2, 3, 4)) + q * (ccw * prefer).sum((1, 2, 3, 4))).sum()
    (-expected).backward()
    counter = VOCAB.index("counter")
    assert G.motion.sense.table.grad[counter].item() < 0  # descent raises the odds of clockwise


def test_each_clip_draws_its_kind_of_path_with_the_odds_the_words_set():
    net = motion_with({"travel": 2.0, "swing": 0.0}, {"vertically": (0.0, 1.0)})
    with torch.no_grad():
        net.kind_start.copy_(torch.tensor([math.log(2), 0.0]) / ODDS_PACE)  # line, bounce, zigzag: 1/4, 1/2, 1/4
        z, ids = torch.randn(4000, 24, generator=torch.Generator().manual_seed(0)), VOCAB.batch(["circle bouncing vertically"] * 4000)
        drawn = net(z, ids)
        each = torch.stack([net(z, ids, kind=k) for k in range(len(KINDS))])  # (kinds, N, T, 4)
    same = (each - drawn).abs().amax((2, 3)) < 1e-6  # (kinds, N): which kind each clip drew
    assert (same.sum(0) == 1).all(), "every clip is one kind's path, and the kinds' paths differ"
    torch.testing.assert_close(same.float().mean(1), torch.tensor([0.25, 0.5, 0.25]), atol=0.03, rtol=0)


def test_the_whole_clips_come_again_along_every_kind_and_the_odds_favour_the_kind_they_score_higher(tmp_path):
    from text2video.train.routing import generated

    cfg = get_config("tiny", frames=8, path="motion", path_after=0)
    trainer = Trainer(cfg, "patterns", tmp_path / "run", seed=0)
    G, ids = trainer.G, VOCAB.batch(["circle bouncing vertically"] * 3)
    (drawn, weight), *each = generated(G, cfg, 0, torch.randn(3, *G.noise_shape), ids)[0]
    assert weight is None and drawn.requires_grad and len(each) == len(KINDS)
    assert not any(clips.requires_grad for clips, _ in each)  # they teach the odds, not the path
    torch.testing.assert_close(sum(share for _, share in each), torch.ones(3))
    # a stand-in for the discriminator's score that prefers the bounced clips: the expected score
    # grows as the odds of a bounce grow
    prefer = each[KINDS.index("bounce")][0]
    expected = sum((share * (c * prefer).sum((1, 2, 3, 4))).sum() for c, share in each)
    (-expected).backward()
    bouncing = VOCAB.index("bouncing")
    assert G.motion.kind.table.grad[bouncing, 0].item() < 0  # descent raises the odds of a bounce


def test_each_kind_of_path_travels_as_far_as_its_own_number_says():
    net = motion_with({"line": OFF, "bounce": 2.0, "zigzag": OFF, "edge": OFF}, {"vertically": (0.0, 1.0)}, {4: 0.3},
                      kind="bounce")
    y = pose_of(net, "circle bouncing vertically")[:, 1]
    assert (y.max() - y.min()).item() > 0.5  # a bounce of its own travel, though a line's would be none
    with torch.no_grad():
        net.kind_start.fill_(OFF / ODDS_PACE)  # lines
    y = pose_of(net, "circle bouncing vertically")[:, 1]
    assert (y.max() - y.min()).item() < 1e-5


@pytest.mark.parametrize("kind", KINDS)
def test_a_direction_word_learns_from_lines_alone(kind):
    net = motion_with({"travel": 2.0, "swing": 0.0}, {"up": (0.3, -0.5)}, {8: 0.4}, kind=kind)
    net.direction.table.requires_grad_(True)
    pose = net(torch.randn(4, 24), VOCAB.batch(["circle moving up"] * 4))
    pose[..., :2].square().sum().backward()
    assert (net.direction.table.grad.abs().sum() > 0) == (kind == "line")


def test_no_clip_turns_more_than_a_whole_turn_as_no_real_clip_does():
    net = motion_with({"travel": OFF, "turn": -OFF}, {"clockwise": (30.0,)}, vary={2: 30.0})  # the most turn, spread
    pose = pose_of(net, "circle rotating clockwise")
    assert 0.99 * 2 * math.pi < (pose[-1, 3] - pose[0, 3]).item() <= 2 * math.pi + 1e-5


def test_a_prompt_that_says_a_sense_turns_at_least_half_a_turn_as_every_real_clip_does():
    net = motion_with({"travel": OFF, "turn": OFF}, {"clockwise": (30.0,)})  # the least turn, no spread
    pose = pose_of(net, "circle rotating clockwise")
    assert (pose[-1, 3] - pose[0, 3]).item() == pytest.approx(math.pi, abs=1e-4)
