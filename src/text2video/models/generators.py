"""The generators: the SpritePathGenerator (a look drawn once and placed in every frame, along a
straight path or at the motion module's pose) and the tutorial's per-frame design kept as a
baseline; make_generator picks one by ModelConfig.design."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

from ..text import TextEncoder
from .config import FACETS, POSED, ModelConfig
from ..grammar import COLOURS, MOTIONS, SHAPES, SIZES
from .motion import INSIDE, PACE, MotionNet, WordSum, fold, roles_of


# the words look's mark at the start: logits of its depth (0.12), distance (0.27 of the corners'
# reach) and diameter (0.27 of it)
MARK_START = (-2.0, -1.0, -1.0)


def pixel_centres(n: int, device=None, dtype=None) -> torch.Tensor:
    """(n,) the centres of n pixels in [-1, 1] units: -1 + 1/n, ..., 1 - 1/n."""
    return (2 * torch.arange(n, device=device, dtype=dtype) + 1) / n - 1


def mlp(*dims: int) -> nn.Sequential:
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers[:-1])


def with_coords(x: torch.Tensor) -> torch.Tensor:
    """CoordConv: append x and y in [-1, 1] as two channels, so convs know where they are."""
    n, _, h, w = x.shape
    ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype).view(1, 1, h, 1).expand(n, 1, h, w)
    xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype).view(1, 1, 1, w).expand(n, 1, h, w)
    return torch.cat([x, xs, ys], 1)


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin + 2, cout, 3, padding=1)
        self.norm = nn.GroupNorm(min(8, cout), cout)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.leaky_relu(self.norm(self.conv(with_coords(x))), 0.2)


class SpritePathGenerator(nn.Module):
    """What and where, generated apart: a sprite (RGB + alpha) from (content noise, text) and a
    straight path p_t = p0 + t v from (motion noise, content noise, text); every frame is the
    sprite moved to p_t (bilinear resampling) over a black background. The conv decoder runs
    once per clip instead of once per frame. With look="words" the sprite is a polygon of one
    colour, drawn for every frame where the path puts it (polygon_alpha, paste)."""

    def __init__(self, cfg: ModelConfig, vocab_size: int, span: float = 0.375):
        super().__init__()
        self.cfg = cfg
        self.side = cfg.size  # drawn at full size: resampling a sprite costs little at any size
        # The sprite is 3 * 2^k pixels, about `span` of the side (room for the largest shape),
        # so that its pixels land 1:1 on frame pixels: 24 of 64.
        start = 3
        sprite = start * 2 ** max(1, round(math.log2(span * cfg.size / start)))
        self.span = sprite / cfg.size
        c = cfg.g_channels
        # one encoder for the look and one for the path: each can learn to ignore the other's words
        if cfg.look != "words":
            self.text = TextEncoder(vocab_size, cfg.text_dim, init_std=cfg.look_word_std)
        if cfg.path not in POSED:
            self.path_text = TextEncoder(vocab_size, cfg.text_dim, pool="mean")
        u = pixel_centres(sprite)  # in sprite half-widths
        if cfg.look == "words":
            self.look = WordLook(vocab_size, cfg.mark)
            where = torch.stack(torch.broadcast_tensors(u[None, :], u[:, None]), -1) * (sprite / 2)  # (S, S, 2) pixels
            self.register_buffer("where", where, persistent=False)  # x right, y down
            angle = torch.arange(FACETS) * (2 * math.pi / FACETS)
            self.register_buffer("corner", torch.stack([angle.cos(), angle.sin()], 1), persistent=False)  # (FACETS, 2)
        else:
            self.look = mlp(cfg.z_content + cfg.text_dim, cfg.hidden, c * start * start)
            blocks, side = [], start
            while side < sprite:
                blocks.append(UpBlock(c, c // 2))
                c, side = c // 2, side * 2
            self.blocks = nn.Sequential(*blocks)
            self.to_rgba = nn.Conv2d(c + 2, 4, 3, padding=1)
        if cfg.path in POSED:
            self.motion = MotionNet(cfg, vocab_size)
        else:
            self.path = mlp(cfg.z_content + cfg.z_motion + cfg.text_dim, cfg.hidden, cfg.hidden, 4)
        self.register_buffer("times", torch.linspace(0, 1, cfg.frames), persistent=False)
        ramp = (torch.arange(sprite) + 0.5).clamp(max=sprite - torch.arange(sprite) - 0.5)  # distance to the edge
        edge = (ramp - 0.5).clamp(0, 1)  # 0 on the outermost pixels, 1 from the second ring in
        self.register_buffer("window", (edge[:, None] * edge[None, :])[None, None], persistent=False)

    @property
    def noise_shape(self) -> tuple[int, ...]:
        return (self.cfg.z_content + self.cfg.z_motion,)

    def parts(self, z: torch.Tensor, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(sprite (B, 4, S, S): RGB and alpha, path (B, T, 2): where the sprite's middle goes, in
        frame units [-1, 1]; with cfg.centre, shifted so that its centre of mass follows the path)."""
        sprite = self.draw_sprite(z, ids)
        return sprite, self.place(z, ids, sprite)

    def draw_sprite(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(B, 4, S, S) the sprite: RGB in [-1, 1] and alpha in [0, 1], from content noise and text;
        with the words look, (B, 3 + FACETS + 1) its colour, corner logits and log-scale (polygon),
        drawn by render frame by frame."""
        if self.cfg.look == "words":
            return self.look(ids)
        e = self.text(ids)
        zc = z[:, : self.cfg.z_content]
        x = rearrange(self.look(torch.cat([zc, e], 1)), "b (c y x) -> b c y x", y=3, x=3)
        rgba = self.to_rgba(with_coords(self.blocks(x)))
        alpha = torch.sigmoid(rgba[:, 3:]) * self.window  # clear at the sprite's edge: no box outline
        return torch.cat([torch.tanh(rgba[:, :3]), alpha], 1)

    def polygon(self, p: torch.Tensor, shift: torch.Tensor | None = None) -> torch.Tensor:
        """(N, 3 + FACETS + 1) the words look -> (N, 4, S, S) its polygon of one colour
        (polygon_alpha), as a sprite."""
        s = self.where.shape[0]
        rgb = self.colour(p)[:, :, None, None].expand(-1, -1, s, s)
        return torch.cat([rgb, self.polygon_alpha(p, shift)], 1)

    def colour(self, p: torch.Tensor) -> torch.Tensor:
        """(N, 3 + FACETS + 1) the words look -> (N, 3) its RGB in [-1, 1]."""
        return fold(p[:, :3]) if self.cfg.colour == "fold" else torch.tanh(p[:, :3])

    def polygon_alpha(self, p: torch.Tensor, shift: torch.Tensor | None = None,
                      turn: torch.Tensor | None = None) -> torch.Tensor:
        """(N, 3 + FACETS + 1, and 3 more with the mark) the words look -> (N, 1, S, S) its polygon's
        alpha less its mark, anti-aliased as the data's shapes are (the signed distance to its side,
        clamped over a pixel), its middle `shift`
        (N, 2) pixels off the sprite's middle if given, grown and turned by `turn` (N, 2):
        (log-scale, angle) if given. Corner k lies r_k from the middle at k * 360 / FACETS degrees
        (x right, y down), r_k in (0, 1) of the sprite's half-width, times the look's scale. A pixel
        belongs to the side between the two corners either side of its angle, so every corner learns
        from the pixels beside it (docs/HISTORY.md: sides at fixed angles did not)."""
        s, step = self.where.shape[0], 2 * math.pi / FACETS
        unit = (s / 2 - 1) * p[:, 3 + FACETS:4 + FACETS].exp()  # (N, 1) pixels: the corners' reach
        q = self.where.flatten(0, 1).expand(len(p), -1, -1)  # (N, S*S, 2) pixel offsets from the middle
        if shift is not None:
            q = q - shift[:, None]
        if turn is not None:
            unit = unit * turn[:, :1].exp()
            cos, sin = turn[:, 1:].cos(), turn[:, 1:].sin()  # (N, 1): turn the pixels back
            q = torch.stack([cos * q[..., 0] + sin * q[..., 1], cos * q[..., 1] - sin * q[..., 0]], -1)
        r = (torch.sigmoid(p[:, 3:3 + FACETS]) * unit).clamp(max=s / 2 - 1)  # the outermost ring stays clear (window)
        # a pixel on a corner's ray goes to the side after it, whatever the rounding of its angle: a
        # quarter turn then draws the same pixels as the turned frame
        sector = torch.floor(torch.atan2(q[..., 1], q[..., 0]).remainder(2 * math.pi) / step + 1e-4).long() % FACETS
        a, b = sector, (sector + 1) % FACETS  # (N, S*S) the corners either side
        ra, rb = r.gather(1, a), r.gather(1, b)
        va, vb = ra[..., None] * self.corner[a], rb[..., None] * self.corner[b]  # (N, S*S, 2)
        edge = vb - va
        outward = torch.stack([edge[..., 1], -edge[..., 0]], -1)  # points away from the middle
        margin = ((va - q) * outward).sum(-1) / outward.norm(dim=-1).clamp(min=1e-6)  # inside the side, pixels
        alpha = (margin + 0.5).clamp(0, 1)
        if p.shape[1] > 4 + FACETS:  # the mark: a round spot on the x axis, turning with the polygon
            depth, far, size = torch.sigmoid(p[:, 4 + FACETS:]).unbind(1)  # (N,) each
            gap = torch.hypot(q[..., 0] - far[:, None] * unit, q[..., 1])  # (N, S*S) pixels from its middle
            spot = (size[:, None] * unit / 2 - gap + 0.5).clamp(0, 1)
            alpha = (alpha - depth[:, None] * spot).clamp(min=0)
        return alpha.view(-1, 1, s, s) * self.window

    def place(self, z: torch.Tensor, ids: torch.Tensor, sprite: torch.Tensor,
              sense: torch.Tensor | None = None, kind: int | None = None) -> torch.Tensor:
        """(B, T, 2) the path of `sprite` (parts), or with a POSED path (B, T, 4) its pose (x, y,
        log-scale, angle) in every frame, turning the way `sense` says along a path of `kind`
        (MotionNet); the sprite only shifts it, with cfg.centre."""
        cfg = self.cfg
        if cfg.path in POSED:
            return self.anchor(self.motion(z, ids, sense, kind), sprite)
        p = self.path(torch.cat([z, self.path_text(ids)], 1))
        if cfg.path == "free":
            path = torch.tanh(p[:, :2])[:, None] + self.times[None, :, None] * p[:, None, 2:]
        else:
            # no longer than the frame along either axis (linear while short), and the midpoint
            # ranges as far as the path's half-length allows: both ends stay inside. A triangle wave
            # has no flat tail, so a midpoint pushed to a corner still learns (docs/HISTORY.md)
            velocity = 2 * INSIDE * fold(p[:, 2:] / (2 * INSIDE))
            middle = (INSIDE - velocity.abs() / 2) * fold(p[:, :2])
            path = middle[:, None] + (self.times[None, :, None] - 0.5) * velocity[:, None]
        return self.anchor(path, sprite)

    def anchor(self, places: torch.Tensor, sprite: torch.Tensor) -> torch.Tensor:
        """(B, K, 2) where the sprite's middle goes for what the path places (its middle, or with
        cfg.centre its centre of mass) to land on `places` (B, K, 2), in frame units [-1, 1]; poses
        (B, K, 4) keep their log-scale and angle."""
        if not self.cfg.centre:
            return places
        offset = self.span * self.centre_of(self.mass(sprite))[:, None]  # (B, 1, 2)
        if places.shape[-1] == 2:
            return places - offset
        # the sprite turns and grows about its centre of mass: its offset turns and grows with it
        cos, sin, scale = places[..., 3:].cos(), places[..., 3:].sin(), places[..., 2:3].exp()
        ox, oy = offset[..., :1], offset[..., 1:]
        turned = torch.cat([cos * ox - sin * oy, sin * ox + cos * oy], -1)
        return torch.cat([places[..., :2] - scale * turned, places[..., 2:]], -1)

    def mass(self, sprite: torch.Tensor) -> torch.Tensor:
        """(B, 4, S, S) sprite (or the words look's (B, 3 + FACETS + 1)) -> (B, 1, S, S) the alpha
        whose centre the path places."""
        if sprite.dim() == 2:
            sprite = self.polygon(sprite)
        alpha = sprite[:, 3:]
        # the object the evaluator sees: alpha from one half, grown by a pixel; a faint haze beside
        # it moved the centre off the disc, which then orbited as it turned
        return alpha * F.max_pool2d((alpha >= 0.5).to(alpha.dtype), 3, 1, 1)

    def centre_of(self, mass: torch.Tensor) -> torch.Tensor:
        """(B, 1, S, S) mass -> (B, 2) its centre (x, y) in the sprite's [-1, 1] units;
        the middle for an empty sprite."""
        s = mass.shape[-1]
        u = pixel_centres(s, mass.device, mass.dtype)
        m = mass[:, 0]
        total = m.sum((1, 2)).clamp(min=1e-3)
        return torch.stack([(m.sum(1) * u).sum(1), (m.sum(2) * u).sum(1)], 1) / total[:, None]

    def render(self, sprite: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """The sprite moved to every position of pos (B, T, 2) over a black background: (B, 3, T, side, side).
        The words look's sprite (B, 3 + FACETS + 1) is drawn anew for every frame with the sub-pixel
        part of its position, and pasted on whole pixels: nothing resamples (blurs) it."""
        t, side, scale = pos.shape[1], self.side, 1 / self.span
        turn = rearrange(pos[..., 2:], "b t k -> (b t) k") if pos.shape[-1] == 4 else None  # (log-scale, angle)
        if sprite.dim() == 2:
            px = rearrange(pos[..., :2] + 1, "b t k -> (b t) k") * (side / 2)  # from the frame's corner, in pixels
            whole = px.detach().round()  # the sprite's middle there puts its pixels on frame pixels
            alpha = self.paste(self.polygon_alpha(sprite.repeat_interleave(t, 0), px - whole, turn), whole.long())
            rgb = self.colour(sprite).repeat_interleave(t, 0)[:, :, None, None]
        elif turn is not None:
            frames = F.grid_sample(sprite.repeat_interleave(t, 0), self.turned_grid(pos), align_corners=False)
            rgb, alpha = frames[:, :3], frames[:, 3:]
        else:
            # the grid F.affine_grid makes for a scale and a shift, bit for bit (its pixel centres, its
            # order of operations), without its batched matrix product (7% of a training step, profiled)
            u = torch.linspace(-1, 1, side, device=pos.device, dtype=pos.dtype) * (side - 1) / side * scale
            shift = -scale * rearrange(pos, "b t k -> (b t) k")  # (B*T, 2)
            grid = torch.stack(torch.broadcast_tensors(u[None, None, :] + shift[:, 0, None, None],
                                                       u[None, :, None] + shift[:, 1, None, None]), -1)  # (B*T, H, W, 2)
            frames = F.grid_sample(sprite.repeat_interleave(t, 0), grid, align_corners=False)  # zeros outside
            rgb, alpha = frames[:, :3], frames[:, 3:]
        video = alpha * rgb + (alpha - 1)  # over a black (-1) background
        return rearrange(video, "(b t) c h w -> b c t h w", t=t)

    def turned_grid(self, pose: torch.Tensor) -> torch.Tensor:
        """(B, T, 4) poses -> (B*T, H, W, 2) where each frame pixel reads the sprite: its offset from
        the sprite's place, turned back by the angle (clockwise on screen) and shrunk by the scale."""
        u = torch.linspace(-1, 1, self.side, device=pose.device, dtype=pose.dtype) * (self.side - 1) / self.side
        x, y, grow, angle = rearrange(pose, "b t k -> k (b t) 1 1").unbind(0)
        dx, dy = u[None, None, :] - x, u[None, :, None] - y  # (B*T, 1, W), (B*T, H, 1)
        zoom = 1 / (self.span * grow.exp())
        cos, sin = angle.cos() * zoom, angle.sin() * zoom
        return torch.stack(torch.broadcast_tensors(cos * dx + sin * dy, cos * dy - sin * dx), -1)

    def paste(self, sprites: torch.Tensor, middle: torch.Tensor) -> torch.Tensor:
        """(N, C, S, S) sprites with their middles on whole pixels `middle` (N, 2) (x, y) ->
        (N, C, side, side) frames, zero outside the sprites: two products with 0/1 matrices that
        move rows and columns (cheaper than indexing into a padded canvas, profiled)."""
        s, side = sprites.shape[-1], self.side
        at = torch.arange(side, device=sprites.device)[None, :, None] - torch.arange(s, device=sprites.device)[None, None, :]
        corner = middle - s // 2  # (N, 2): the frame pixel of the sprite's first pixel
        rows = (at == corner[:, 1, None, None]).to(sprites.dtype)  # (N, side, S): frame row <- sprite row
        cols = (at == corner[:, 0, None, None]).to(sprites.dtype)
        return rows[:, None] @ sprites @ cols[:, None].transpose(-1, -2)

    def forward(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.render(*self.parts(z, ids))


class WordLook(nn.Module):
    """(B, L) ids -> (B, 3 + FACETS + 1) the polygon look from the words alone: its colour from the
    colour word, its corners from the shape word (polygon_alpha), its log-scale from the size word,
    each a learnt start plus that word's numbers. A red square is red's colour on the square's
    corners, although no red square was seen; the look has no noise, as the data's shapes have none.
    With `mark`, 3 more: the logits of a spot's depth, distance from the middle and size, from the
    shape and motion words together (only rotating circles carry one)."""

    def __init__(self, vocab_size: int, mark: bool = False):
        super().__init__()
        roles = roles_of(vocab_size, {1: set(COLOURS), 2: set(SHAPES), 3: set(SIZES)})
        # `sides` holds the corners' logits (the name the shipped weights carry)
        self.colour, self.sides, self.size = WordSum(roles, 1, 3), WordSum(roles, 2, FACETS), WordSum(roles, 3, 1)
        self.start = nn.Parameter(torch.zeros(3 + FACETS + 1))
        self.marked = mark
        if mark:
            self.mark = WordSum(roles_of(vocab_size, {1: set(SHAPES) | set(MOTIONS)}), 1, 3)
            # faint, a small spot halfway out: a spot the discriminators can see, deepen or fill
            self.mark_start = nn.Parameter(torch.tensor(MARK_START) / PACE)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        parts = [self.colour(ids), self.sides(ids), self.size(ids)]
        look = PACE * self.start + torch.cat(parts, 1)
        if self.marked:
            look = torch.cat([look, PACE * self.mark_start + self.mark(ids)], 1)
        return look

    def dents(self, ids: torch.Tensor) -> torch.Tensor:
        """(B,) how far the polygon of each prompt is from convex: the sum over corners of how far
        each lies inside the line through its two neighbours, in the sprite's half-widths. Every
        shape of the data is convex; a dent beside a spike drew streaks instead of a triangle."""
        r = torch.sigmoid(self(ids)[:, 3:3 + FACETS])  # (B, FACETS) as polygon_alpha, before the scale
        before, after = r.roll(1, 1), r.roll(-1, 1)
        chord = 2 * before * after * math.cos(2 * math.pi / FACETS) / (before + after)  # that line, at corner k
        return (chord - r).clamp(min=0).sum(1)


class TutorialGenerator(nn.Module):
    """The tutorial's design: a DCGAN image generator applied to each frame with fresh noise
    per frame and a fixed (never trained) 10-d text embedding. Nothing links one frame to the
    next, and its discriminator sees no text."""

    def __init__(self, cfg: ModelConfig, vocab_size: int):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(vocab_size, 10, padding_idx=0).requires_grad_(False)
        c = cfg.g_channels
        self.fc = nn.Linear(cfg.z_content + cfg.z_motion + 10, c * 16)
        layers, side = [], 4
        while side < cfg.core // 2:
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c, side = c // 2, side * 2
        self.net = nn.Sequential(*layers, nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh())
        self.side = cfg.core

    @property
    def noise_shape(self) -> tuple[int, ...]:
        return (self.cfg.frames, self.cfg.z_content + self.cfg.z_motion)  # fresh noise per frame

    def forward(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids > 0).unsqueeze(-1).float()
        e = (self.embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        t = self.cfg.frames
        x = self.fc(torch.cat([rearrange(z, "b t d -> (b t) d"), repeat(e, "b d -> (b t) d", t=t)], 1))
        x = self.net(rearrange(x, "n (c y x) -> n c y x", y=4, x=4))
        return rearrange(x, "(b t) c h w -> b c t h w", t=t)


def make_generator(cfg: ModelConfig, vocab_size: int) -> nn.Module:
    design = {"sprite": SpritePathGenerator, "tutorial": TutorialGenerator}[cfg.design]
    return design(cfg, vocab_size)
