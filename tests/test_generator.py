"""The sprite-and-path generator: its path stays in the frame, its centre of mass follows the path, the words look draws each shape."""
import math

import pytest
import torch

from text2video.errors import UserError
from text2video.models import EARLIER, FACETS, INSIDE, ModelConfig, fold, make_generator
from text2video.synth import SIZES, Attributes
from text2video.train import Trainer, get_config



def test_the_fold_path_keeps_every_centre_in_the_frame():
    G = make_generator(ModelConfig(path="fold", centre=False), 40)
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


def test_a_faint_haze_beside_the_object_does_not_move_the_centre_it_is_placed_by():
    G = make_generator(ModelConfig(centre=True), 40)
    s = G.window.shape[-1]
    alpha = torch.zeros(1, 1, s, s)
    alpha[0, 0, 8:14, 8:14] = 1
    hazy = alpha.clone()
    hazy[0, 0, :, 16:] = 0.15  # a faint haze to the right, well clear of the object
    sprite = lambda a: torch.cat([torch.ones(1, 3, s, s), a], 1)  # noqa: E731
    torch.testing.assert_close(G.centre_of(G.mass(sprite(hazy))), G.centre_of(G.mass(sprite(alpha))))
    assert G.centre_of(hazy)[0, 0] > G.centre_of(alpha)[0, 0] + 0.1  # the plain alpha's centre moves


def polygon_logits(G, shape: str, size: str) -> torch.Tensor:
    """(3 + FACETS + 1,) the words look for a magenta `shape` of `size` drawn as the data draws it: each
    corner where the shape's outline crosses its angle."""
    half, width = G.where.shape[0] / 2 - 1, SIZES[size] * G.side  # pixels
    sides = {"circle": dict.fromkeys(range(FACETS), width), "square": dict.fromkeys((0, 6, 12, 18), width),
             "triangle": dict.fromkeys((6, 14, 22), width / 3 ** 0.5)}[shape]  # normals every 15 degrees, y down
    unit = G.corner  # (FACETS, 2): the corners' directions, which are also the data's side normals here
    along = unit[:, None] @ unit[list(sides)].T[None]  # (corner, 1, side): a corner's step along each normal
    corner = (torch.tensor(list(sides.values())) / along[:, 0].clamp(min=1e-6)).where(along[:, 0] > 1e-6, torch.inf)
    colour = torch.tensor([1.0, -1.0, 1.0])  # magenta, through the fold colour
    return torch.cat([colour, torch.logit(corner.amin(1) / half), torch.zeros(1)])


def test_the_words_look_can_draw_each_shape_as_sharp_as_the_data_and_not_another():
    from text2video.evaluate.analytic import judge, measure
    from text2video.data import to_uint8

    G = make_generator(ModelConfig(look="words", centre=True), 40)
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


def test_the_words_look_passes_a_gradient_to_its_corners_colour_and_path():
    G = make_generator(ModelConfig(look="words", centre=True), 40)
    p = polygon_logits(G, "square", "large")[None].repeat(2, 1).requires_grad_(True)
    path = (0.1 * torch.randn(2, 16, 2)).requires_grad_(True)
    video = G.render(p, G.anchor(path, p))
    (video[:, 0].mean() + video[:, :, :, :32].mean()).backward()  # redder, and more of it on the left
    assert p.grad[:, 3 + 0].abs().min() > 0 and p.grad[:, 0].abs().min() > 0  # the right corner and the red
    assert path.grad[..., 0].abs().min() > 0


def marked_circle(G, depth: float = 10.0) -> torch.Tensor:
    """(3 + FACETS + 1 + 3,) the words look of a medium circle with the data's mark (synth.MARK)."""
    from text2video.synth import MARK

    circle = polygon_logits(G, "circle", "medium")
    reach, width = G.where.shape[0] / 2 - 1, SIZES["medium"] * G.side  # pixels
    return torch.cat([circle, torch.tensor([depth]), torch.logit(torch.tensor([MARK[0], 2 * MARK[1]]) * width / reach)])


def test_the_marked_words_look_turns_as_the_data_s_rotating_circle_and_a_plain_one_shows_no_turn():
    from text2video.data import to_uint8
    from text2video.evaluate.analytic import judge, measure

    G = make_generator(ModelConfig(look="words", mark=True, centre=True), 40)
    p = torch.stack([marked_circle(G), marked_circle(G, depth=-10.0)])
    t = torch.linspace(0, 1, 16)[:, None]
    pose = torch.cat([torch.full((16, 2), 0.013), torch.zeros(16, 1), 1.2 * math.pi * t], 1)  # clockwise
    clips = to_uint8(G.render(p, G.anchor(pose.expand(2, -1, -1), p)))
    attrs = [Attributes(shape="circle", colour="magenta", motion="rotating", direction="clockwise")] * 2
    checks = judge(measure(clips, attrs), attrs)
    assert all(c[0] for c in checks.values()), {k: c[0] for k, c in checks.items()}
    assert not checks["rotation"][1]
    counter = [Attributes(shape="circle", colour="magenta", motion="rotating", direction="counter-clockwise")]
    assert not judge(measure(clips[:1], counter), counter)["rotation"].any()


def test_the_mark_learns_its_depth_place_and_size_and_comes_from_the_shape_and_motion_words():
    from text2video.text import Vocabulary

    vocab = Vocabulary.from_grammar()
    G = make_generator(ModelConfig(look="words", mark=True), len(vocab))
    p = marked_circle(G, depth=0.0)[None].requires_grad_(True)
    G.polygon_alpha(p, turn=torch.tensor([[0.0, 0.7]])).sum().backward()  # less mark: shallower, smaller
    assert p.grad[0, -3] < 0 and p.grad[0, -1] < 0 and p.grad[0, -2] != 0
    with torch.no_grad():
        G.look.mark.table[vocab.index("rotating")] = 0.5
        looks = G.draw_sprite(None, vocab.batch(["circle rotating clockwise", "circle moving left",
                                                 "red circle rotating counter-clockwise"]))
    assert looks.shape[1] == 3 + FACETS + 1 + 3
    assert looks[0, -3] > looks[1, -3] and torch.equal(looks[0, -3:], looks[2, -3:])


def test_the_mark_needs_the_words_look():
    with pytest.raises(UserError, match="mark cuts a spot from the words look"):
        ModelConfig(mark=True)


def test_every_corner_of_the_words_look_learns_even_where_its_polygon_has_no_side():
    G = make_generator(ModelConfig(look="words", centre=True), 40)
    p = polygon_logits(G, "triangle", "large")[None].requires_grad_(True)
    G.polygon_alpha(p).sum().backward()  # larger: every corner should move out, those on a side too
    assert (p.grad[0, 3:3 + FACETS] > 0).all()


def test_the_words_look_takes_colour_shape_and_size_each_from_its_own_word():
    from text2video.text import Vocabulary

    vocab = Vocabulary.from_grammar()
    torch.manual_seed(0)
    G = make_generator(ModelConfig(look="words"), len(vocab))
    with torch.no_grad():
        G.look.colour.table.normal_(std=0.05)  # +-1 once moved at PACE
        G.look.sides.table[vocab.index("circle")] = 0.02
        G.look.size.table[vocab.index("small")], G.look.size.table[vocab.index("large")] = -0.01, 0.01
        look = G.draw_sprite(torch.zeros(4, 24), vocab.batch(["small red square", "large red circle",
                                                               "small blue square", "large red square"]))
        area = G.polygon_alpha(look).sum((1, 2, 3))
    assert torch.equal(look[0, :3], look[1, :3]) and torch.equal(look[0, 3:-1], look[2, 3:-1])
    assert torch.equal(look[0, -1], look[2, -1]) and torch.equal(look[1, -1], look[3, -1])
    assert not torch.equal(look[0, :3], look[2, :3]) and not torch.equal(look[0, 3:-1], look[1, 3:-1])
    assert area[3] / area[0] == pytest.approx(math.exp(2 * (look[3, -1] - look[0, -1])), rel=0.1)  # sizes scale sides


def test_the_words_look_colour_at_the_wrong_end_still_learns_and_earlier_models_keep_tanh():
    look = torch.zeros(2, 3 + FACETS + 1)
    look[:, 0] = -5.15  # red's red channel where a tanh colour held it (docs/HISTORY.md)
    look.requires_grad_(True)
    G = make_generator(ModelConfig(look="words"), 40)
    G.colour(look)[:, 0].sum().backward()  # redder
    assert G.colour(look)[0, 0] > -1 and look.grad[0, 0].abs() == 1  # the full slope, whatever the number
    assert ModelConfig.from_json({"look": "words"}).colour == "tanh"
    with pytest.raises(UserError, match="colour must be one of fold, tanh, got 'sine'"):
        ModelConfig(colour="sine")


def test_a_convex_words_look_has_no_dents_and_a_spike_has_some_that_its_gradient_flattens():
    from text2video.text import Vocabulary

    vocab = Vocabulary.from_grammar()
    G = make_generator(ModelConfig(look="words"), len(vocab))
    ids = vocab.batch(["circle"])
    assert G.look.dents(ids).item() == 0  # every corner at one radius: a 24-gon
    with torch.no_grad():
        G.look.start[3 + 5] = 0.2  # one corner pushed out, at PACE: a spike
    dents = G.look.dents(ids)
    dents.sum().backward()
    assert dents.item() > 0.2 and G.look.start.grad[3 + 5] > 0  # descent pulls the spike in


def test_fold_is_the_identity_inside_its_bounds_and_turns_back_beyond_them():
    x = (torch.linspace(-7, 7, 1401, dtype=torch.float64) + 0.003).requires_grad_(True)  # off the corners
    y = fold(x)
    y.sum().backward()
    inner = x.detach().abs() <= 1
    assert torch.allclose(y[inner], x[inner], rtol=0, atol=1e-12) and y.abs().max() <= 1
    assert torch.allclose(fold(torch.tensor([1.5, 2.5, -1.5])), torch.tensor([0.5, -0.5, -0.5]))
    assert x.grad.abs().eq(1).all()  # the slope never vanishes


def test_an_unknown_path_is_refused():
    with pytest.raises(UserError, match="path must be one of motion, line, fold, free, got 'sideways'"):
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
    assert (old.look_word_std, old.path, old.centre, old.look) == (0.3, "free", False, "conv")
    assert ModelConfig.from_json(ModelConfig().to_json()) == ModelConfig()


def test_a_config_with_deleted_options_loads_where_they_were_off_and_is_refused_where_on():
    data = {**ModelConfig().to_json(), "centre_on": "alpha", "sprite_prior": 0.0, "soft_sides": 0.0}
    assert ModelConfig.from_json(data) == ModelConfig()
    with pytest.raises(UserError, match="trained with sprite_prior, an option text2video no longer has"):
        ModelConfig.from_json({**data, "sprite_prior": 3.0})
    with pytest.raises(UserError, match="design 'latent'"):
        ModelConfig.from_json({**data, "design": "latent"})
    with pytest.raises(UserError, match="look 'polygon', which text2video no longer has"):
        ModelConfig.from_json({**data, "look": "polygon"})
