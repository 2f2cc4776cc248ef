"""The motion module of the sprite design: a pose (x, y, log-scale, angle) for every frame, from
the prompt's words and the motion noise, in one parametric family whose regimes are the grammar's
motions; SpritePathGenerator draws its sprite at each pose.

Each word holds a few learnt numbers, summed over the prompt: complement words (up, left,
vertically, clockwise) a direction, an axis and a sense; motion, speed and size words (moving,
bouncing, quickly) the magnitudes. Linear in the words, so "bouncing horizontally" is the bounce of
"bouncing" along the axis of "horizontally" although the two never came together in training.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..grammar import AXES, DIRECTIONS, MOTIONS, SENSES, SIZES, SPEEDS, grammar_words, tokenize
from .config import ModelConfig

# Furthest the path's centre goes from the middle, in half-sides: where real clips put a medium
# shape's centre (0.83) and a small one's (0.87) when its path ends at an edge.
INSIDE = 0.85
EDGE_ROOM = 0.15  # how much nearer the middle the words may put the edge a bounce turns at
TRAVEL = 1.6  # longest path over a clip, in half-sides (real: 1.5, "quickly")
SWING = 0.8  # widest zigzag, in half-sides (real: 0.3 to 0.5)
# narrowest zigzag of the coin's kinds, half the narrowest real one: a zigzag swinging less looked
# like a line, and "moving" drew zigzags whose direction words then learnt nothing (docs/HISTORY.md)
LEAST_SWING = 0.15
# shortest travel of a bounce or a zigzag, half the shortest real one: a zigzag standing still swung
# like a bounce, and "bouncing" drew zigzags on two seeds of five
LEAST_TRAVEL = 0.3
GROWTH = 1.0  # largest change of log-scale over a clip (real: 0.46 to 0.63)
SWINGS = (3.0, 7.5)  # half-periods of a zigzag over a clip: real ones turn every 2 to 5 frames of 16
SPREAD = 0.3  # how far the noise moves a magnitude the words set, as a fraction of it: real bands are +-25%
# A clip turns between half a turn and a whole one, as every real clip does: the words set where in
# that band, the noise spreads it. A turn the words' size alone bounded shrank on 2 seeds of 3: to 47
# degrees (the sense unlearnt) and, with the noise's spread at its least, to 157 (docs/HISTORY.md)
LEAST_TURN = math.pi
# the most a turn grows past LEAST_TURN before the noise spreads it: the fastest clip then turns a whole
# turn (at 2.5 pi the fastest clips turned more than the evaluator's 33 degrees a frame)
TURN = math.pi / (1 + SPREAD)
# Each word's numbers move this many times faster than Adam moves a weight: a direction or a regime
# must turn round within a few hundred steps, and Adam's step is about lr whatever the gradient.
PACE = 20.0
# The odds of a coin (a turn's sense, a path's kind) learn this fast: they follow a comparison that the
# few clips of a prompt in a step make, right on 86 to 100% of rotating clips once the windows told
# the senses apart; at PACE the sense's odds moved about 1 in 300 steps
ODDS_PACE = 5 * PACE
# The kinds of path, one drawn per clip with the odds the words set (the coin design): each clip's
# kind is scored in every kind, so the odds learn from how the kinds compare (docs/HISTORY.md: a
# bounce or a swing grown by degrees passed through paths the discriminator scored worse than none).
KINDS = ("line", "bounce", "zigzag")
# The regime the words set (before the sigmoid or tanh that bounds it), and where it starts: each
# kind's travel, middling (apart: a bounce whose travel the line's odds shrank stood still), a
# zigzag's middling swing, the real turns' mean (3/4 of a turn; only prompts that say a sense turn),
# no growth, a middling edge.
REGIME = (*KINDS, "swing", "turn", "growth", "edge")
START = (0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.0)
KIND_START = (-1.0, -1.0)  # the bounce's and the zigzag's logits against the line's 0
# The line path blends the kinds instead (a swing and a bounce of any size, all zeroed), the
# layout of model/shapes.
BLENDED = ("travel", "swing", "turn", "growth", "bounce", "edge")
BLENDED_START = (0.0, -3.0, -3.0, 0.0, -1.0, 0.0)
VARIED = 4 + 5 + 1


def fold(x: torch.Tensor) -> torch.Tensor:
    """x folded into [-1, 1] as a triangle wave: x itself on [-1, 1], and its slope is +-1
    everywhere, so a value pushed past an end turns back instead of sinking into a flat tail."""
    return (torch.remainder(x - 1, 4) - 2).abs() - 1


def triangle(x: torch.Tensor) -> torch.Tensor:
    """A triangle wave of period 2 from 0 to 1: 1 at even x, 0 at odd x, straight between."""
    return (torch.remainder(x, 2) - 1).abs()


# The roles a word may play in the motion module, by what the grammar says it is.
ROLES = {"direction": 1, "axis": 2, "sense": 3, "manner": 4}


def word_roles(vocab_size: int) -> torch.Tensor:
    """(vocab_size,) the role of each word id (ROLES): a direction (up, left, diagonally), an axis
    (vertically), a sense of turning (clockwise, counter), a manner (a motion, speed or size word);
    0 anything else and padding."""
    return roles_of(vocab_size, {
        1: {w for d in DIRECTIONS for w in tokenize(d)} | {"diagonally"},
        2: set(AXES),
        3: {w for d in SENSES for w in tokenize(d)},
        4: {*MOTIONS, *SPEEDS, *SIZES},
    })


def roles_of(vocab_size: int, words: dict[int, set[str]]) -> torch.Tensor:
    """(vocab_size,) each word id's role, the key of the set in `words` that holds it; 0 for other
    words, padding and ids past the grammar's words. Ids follow grammar_words, as Vocabulary's do."""
    role = {w: r for r, ws in words.items() for w in ws}
    known = [role.get(w, 0) for w in grammar_words()[: vocab_size - 1]]
    return torch.tensor([0] + known + [0] * (vocab_size - 1 - len(known)))


def at_most_one(x: torch.Tensor) -> torch.Tensor:
    """(..., 2k) pairs of numbers, each pair a vector shortened to length 1 where it is longer."""
    pairs = x.unflatten(-1, (-1, 2))
    return (pairs / pairs.norm(dim=-1, keepdim=True).clamp(min=1)).flatten(-2)


class WordSum(nn.Module):
    """(B, L) ids -> (B, dim): the sum of learnt numbers over the words of one role, moved at `pace`.
    With `unit`, each word's numbers are vectors of 2 no longer than 1: "up right" then points
    halfway between "up" and "right" however fast each word grew."""

    def __init__(self, roles: torch.Tensor, role: int, dim: int, std: float = 0.0, unit: bool = False,
                 pace: float = PACE):
        super().__init__()
        self.register_buffer("keep", (roles == role).float(), persistent=False)
        self.table = nn.Parameter(torch.randn(len(roles), dim) * (std / pace))
        self.unit, self.pace = unit, pace

    def said(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, 1) 1.0 where the prompt has a word of this role, else 0.0."""
        return (self.keep[ids].sum(1, keepdim=True) > 0).float()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        rows = self.pace * self.table[ids]  # (B, L, dim)
        if self.unit:
            rows = at_most_one(rows)
        return (rows * self.keep[ids][..., None]).sum(1)


class MotionNet(nn.Module):
    """(noise, ids) -> pose (B, T, 4): the sprite's place (x, y) in frame units, log-scale and angle
    (radians, clockwise on screen) in every frame. With u the complement's direction (an axis's
    sign drawn from the noise), in the frame (u, u_perp):

        line(t) = middle + v ((1 - b)(t - 1/2) - b |t - meets|) u + A s (triangle(f t + phase) - 1/2) u_perp
        place(t) = E fold(line(t) / E);  angle(t) = angle0 + w (t - 1/2);  log-scale(t) = g (t - 1/2)

    Each clip's kind of path is a coin drawn with the odds the words set (KINDS): a line (A = b = 0,
    inside the frame), a bounce (b = 1, the line turning back at `meets`, where its middle puts the
    edge E) or a zigzag (A > 0); a turn |w| of half a turn to a whole one (its sense a coin too), a
    change of size g != 0. The words set each magnitude and the odds ("moving": lines, w = g = 0, for
    any noise); the noise spreads the magnitudes and sets where and when."""

    def __init__(self, cfg: ModelConfig, vocab_size: int):
        super().__init__()
        roles = word_roles(vocab_size)
        self.direction = WordSum(roles, ROLES["direction"], 2, std=0.5, unit=True)
        self.axis = WordSum(roles, ROLES["axis"], 2, std=0.5, unit=True)  # its sign drawn from the noise
        self.sense = WordSum(roles, ROLES["sense"], 1, std=0.5, pace=ODDS_PACE)
        # straight paths only, upright: the line path keeps one path blending the kinds (BLENDED), all
        # but the line zeroed, so model/shapes loads and the shapes preset still trains it
        self.straight = cfg.path == "line"
        self.names = BLENDED if self.straight else REGIME
        self.regime = WordSum(roles, ROLES["manner"], len(self.names))
        self.start = nn.Parameter(torch.tensor(BLENDED_START if self.straight else START) / PACE)
        if not self.straight:
            self.kind = WordSum(roles, ROLES["manner"], len(KINDS) - 1, pace=ODDS_PACE)
            self.kind_start = nn.Parameter(torch.tensor(KIND_START) / ODDS_PACE)
        self.manner = WordSum(roles, ROLES["manner"], cfg.text_dim, std=1.0)
        self.vary = nn.Sequential(nn.Linear(cfg.z_motion + cfg.text_dim, cfg.hidden), nn.LeakyReLU(0.2),
                                  nn.Linear(cfg.hidden, cfg.hidden), nn.LeakyReLU(0.2), nn.Linear(cfg.hidden, VARIED))
        self.z_from = cfg.z_content
        self.register_buffer("times", torch.linspace(0, 1, cfg.frames)[None, :, None] - 0.5, persistent=False)

    def settings(self, ids: torch.Tensor) -> dict:
        """What the words set, bounded, (B, 1) each: travel (B, len(KINDS): each kind's), swing, turns
        (1.0 where the prompt turns), turn (how far past LEAST_TURN), growth, edge, the odds that a
        turn is clockwise, and "kinds" (B, len(KINDS)), the odds of each kind of path (the line path:
        one travel, and swing, turns, turn, growth and "bounce" (B, 1) at none)."""
        r, sense = self.regime(ids) + PACE * self.start, self.sense(ids)
        r = dict(zip(self.names, r.split(1, 1)))
        said = self.sense.said(ids)  # a prompt turns only when it says which way
        travel = r["travel"] if self.straight else torch.cat([r[k] for k in KINDS], 1)
        swing = LEAST_SWING + (SWING - LEAST_SWING) * torch.sigmoid(r["swing"])
        least = 0.0 if self.straight else travel.new_tensor([0.0] + [LEAST_TRAVEL] * (len(KINDS) - 1))
        s = {"travel": least + (TRAVEL - least) * torch.sigmoid(travel), "swing": swing,
             "turns": said, "turn": TURN * torch.sigmoid(r["turn"]) * said, "clockwise": torch.sigmoid(sense),
             "growth": GROWTH * torch.tanh(r["growth"]), "edge": INSIDE - EDGE_ROOM * torch.sigmoid(r["edge"])}
        if self.straight:
            s.update({k: torch.zeros_like(s["turn"]) for k in ("swing", "turns", "turn", "growth", "bounce")})
        else:
            logits = self.kind(ids) + ODDS_PACE * self.kind_start
            s["kinds"] = torch.softmax(torch.cat([torch.zeros_like(logits[:, :1]), logits], 1), 1)
        return s

    def cost(self, ids: torch.Tensor) -> torch.Tensor:
        """(B,) how much of a path other than a line and growth the words ask, each as a fraction
        of its largest: a prior that keeps a part of the motion at none unless a discriminator asks
        for it (a bounce that also swung a little failed its axis)."""
        s = self.settings(ids)
        other = s["swing"] / SWING + s["bounce"] if self.straight else 1 - s["kinds"][:, :1]
        # not the turn: only a prompt that says a sense turns, and every such prompt should; the prior
        # only shrank the turns of rotating prompts while their mark was too faint to show them
        return (other + s["growth"].abs() / GROWTH).squeeze(1)

    def forward(self, z: torch.Tensor, ids: torch.Tensor, sense: torch.Tensor | None = None,
                kind: int | None = None) -> torch.Tensor:
        """`sense` (B, 1) of +-1, the turn's (clockwise +1); `kind` an index into KINDS, every clip's
        path (the line path has none); None: each a coin drawn from the noise with the odds the words set."""
        zm = z[:, self.z_from:]
        sign = torch.where(zm[:, :2] < 0, -1.0, 1.0)  # (B, 2): which way along an axis, which way the swing starts
        s = self.settings(ids)
        # uniform on (0, 1), ends excluded: odds of 0 or 1 are certain
        coin = (0.5 * (1 + torch.erf(zm[:, 2:4] / math.sqrt(2)))).clamp(1e-6, 1 - 1e-6)
        if sense is None:
            sense = torch.where(coin[:, :1] < s["clockwise"], 1.0, -1.0)
        direction = self.direction(ids)
        if self.straight:
            travel, bounce, swing = s["travel"], s["bounce"], s["swing"]
        else:
            drawn = (coin[:, 1:2] > s["kinds"].cumsum(1)[:, :-1]).sum(1, keepdim=True)  # (B, 1) an index into KINDS
            drawn = drawn if kind is None else torch.full_like(drawn, kind)
            travel, bounce, swing = s["travel"].gather(1, drawn), (drawn == 1).float(), s["swing"] * (drawn == 2)
            # a direction word learns from lines alone: a bounce that meets its edge early runs back along
            # -u, and "moving" bounced with every direction turned round (docs/HISTORY.md)
            direction = torch.where(drawn == 0, direction, direction.detach())
        d = direction + sign[:, :1] * self.axis(ids)
        u = d / d.norm(dim=1, keepdim=True).clamp(min=1e-6)  # (B, 2) a unit vector, or nothing without such words
        across = torch.stack([-u[:, 1], u[:, 0]], 1)
        n = self.vary(torch.cat([zm, self.manner(ids) / 4], 1))
        spread = 1 + SPREAD * torch.tanh(n[:, 0:4])
        v, swing = travel * spread[:, 0:1], swing * spread[:, 1:2]
        turn = (LEAST_TURN * s["turns"] + s["turn"] * spread[:, 2:3]) * sense
        growth, edge = s["growth"] * spread[:, 3:4], s["edge"]
        meets = 0.2 + 0.6 * torch.sigmoid(n[:, 4:5])  # when a bounce meets the edge
        rate = SWINGS[0] + (SWINGS[1] - SWINGS[0]) * torch.sigmoid(n[:, 5:6])
        phase = 2 * torch.sigmoid(n[:, 6:7])
        angle0 = math.pi * fold(n[:, 7:8]) * (not self.straight)
        # along u: a line, or with `bounce` b a line that turns back at `meets` (a V in time): its
        # slope is v before and v (1 - 2b) after
        t = self.times  # (1, T, 1) from -1/2 to 1/2
        b = bounce[:, None]
        run = v[:, None] * ((1 - b) * t - b * (t + 0.5 - meets[:, None]).abs())  # (B, T, 1)
        # the middle: anywhere that keeps the whole path inside, or for a bounce where the turn
        # meets the edge ahead
        reach = (v * u).abs() / 2 + (swing * across).abs() / 2  # (B, 2) the line's half-extent
        free = (edge - reach).clamp(min=0) * fold(n[:, 8:10])
        ahead = edge / u.abs().amax(1, keepdim=True).clamp(min=0.05)  # along u, to the edge
        at_turn = ahead - v * (1 - bounce) * (meets - 0.5)  # puts the turn on the edge
        along = (1 - bounce) * (free * u).sum(1, keepdim=True) + bounce * at_turn
        middle = free + (along - (free * u).sum(1, keepdim=True)) * u
        wave = triangle(rate[:, None] * (t + 0.5) + phase[:, None]) - 0.5  # (B, T, 1)
        line = middle[:, None] + run * u[:, None] + (swing * sign[:, 1:2])[:, None] * wave * across[:, None]
        place = edge[:, None] * fold(line / edge[:, None])
        return torch.cat([place, growth[:, None] * t, angle0[:, None] + turn[:, None] * t], 2)
