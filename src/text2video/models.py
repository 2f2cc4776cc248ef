"""The networks: a text-to-video Generator, video and image Discriminators, a learned 2x
upsampler, and the tutorial's per-frame design kept as a baseline.

The Generator moves a latent point along a straight line, h_t = h0 + t v, with h0 from
(content noise, text) and the velocity v from (motion noise, text), and decodes every h_t into a
frame: a temporal structure that can say "moves steadily in a direction" by construction.
All normalisation is per sample (GroupNorm), so a clip does not depend on its batch or mode.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .errors import UserError
from .text import TextEncoder


DESIGNS = ("latent", "sprite", "tutorial")
LOOKS = ("conv", "polygon")  # how the sprite design draws its sprite: ModelConfig.look
# The polygon look's sides face these many directions, evenly spaced: every 15 degrees, so that it
# can draw a square (sides at 0, 90, 180, 270), an upright triangle (90, 210, 330) and a circle to
# within 1% of its area (a 24-gon), but as well any other convex polygon with sides at those angles.
FACETS = 24
PATHS = ("free", "inside", "sine", "fold")
CENTRES = ("alpha", "light")  # what the sprite's centre of mass weighs: ModelConfig.centre_on
# Furthest a path's centre goes from the middle, in half-sides, with path="inside": where real
# clips put a medium shape's centre (0.83) and a small one's (0.87) when its path ends at an edge.
INSIDE = 0.85
# Where ModelConfig.sprite_prior crosses 0, in sprite half-widths: about a medium shape's
# half-width (0.085 of the side in a sprite of 0.375 of it: 0.45).
PRIOR_RADIUS = 0.5


@dataclass(frozen=True)
class ModelConfig:
    frames: int = 16
    size: int = 64  # output side in pixels
    core: int = 32  # side the GAN works at; the upsampler makes `size` from it
    text_dim: int = 64
    z_content: int = 16
    z_motion: int = 8
    hidden: int = 128
    g_channels: int = 64  # at 4x4; halves at every doubling
    d_channels: int = 16  # at the core side; doubles at every halving (x2 in the video D)
    up_channels: int = 24
    # Options of the sprite design (README "The model"); a config written before a field existed
    # means the value in EARLIER (from_json). model/circles sets the first three; as defaults two
    # seeds of three hid the object and failed far below the free path's seeds (README Results).
    look_word_std: float = 0.3  # the look encoder's first word vectors; 0: one look for every prompt
    # "inside": kept in the frame as real paths are, so a sprite cannot hide; "sine" and "fold" the
    # same, bounded by a sine or a triangle wave (models.fold) instead of tanh
    path: str = "free"
    centre: bool = False  # the path places the sprite's centre of mass, not its middle
    # what that mass is: "alpha"; or "light", the square of what the frame shows (alpha times
    # brightness), so a faint wide haze cannot pull the centre away from the object
    centre_on: str = "alpha"
    # >0: a fixed logit added to the sprite's alpha, this much at its middle, 0 at PRIOR_RADIUS and
    # falling linearly beyond, and RGB starting white: the first sprites are a soft white disc,
    # not a grey square, which the generator learnt first to darken and then hid (README: why)
    sprite_prior: float = 0.0
    design: str = "sprite"  # see DESIGNS; README: why the sprite design
    # how the sprite design draws the object: "conv", a conv decoder's RGBA; "polygon", a convex
    # polygon of one colour, its FACETS sides' distances from the middle and its colour from
    # (content noise, text): 27 numbers instead of a picture (README: why)
    look: str = "conv"

    def __post_init__(self):
        if self.frames < 2:
            raise UserError(f"frames must be at least 2, got {self.frames}")
        if self.core < 8 or self.core & (self.core - 1):
            raise UserError(f"core must be a power of two of at least 8, got {self.core}")
        if self.size not in (self.core, 2 * self.core):
            raise UserError(f"size must equal core ({self.core}) or twice it, got {self.size}")
        if self.design not in DESIGNS:
            raise UserError(f"design must be one of {', '.join(DESIGNS)}, got {self.design!r}")
        if self.centre_on not in CENTRES:
            raise UserError(f"centre_on must be one of {', '.join(CENTRES)}, got {self.centre_on!r}")
        if self.path not in PATHS:
            raise UserError(f"path must be one of {', '.join(PATHS)}, got {self.path!r}")
        if self.look not in LOOKS:
            raise UserError(f"look must be one of {', '.join(LOOKS)}, got {self.look!r}")
        if self.look != "conv" and self.design != "sprite":
            raise UserError(f"look={self.look} draws the sprite design's sprite; got design {self.design!r}: "
                            "set look=conv")
        if self.look == "polygon" and self.sprite_prior:
            raise UserError("sprite_prior shapes the conv look's first sprites; the polygon look starts as a "
                            "24-gon: set sprite_prior=0 with look=polygon")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        return cls(**{**EARLIER, **data})


# What a config that lacks these fields was trained with: the fields came later.
EARLIER = {"look_word_std": 0.3, "path": "free", "centre": False, "centre_on": "alpha", "sprite_prior": 0.0,
           "look": "conv"}


def fold(x: torch.Tensor) -> torch.Tensor:
    """x folded into [-1, 1] as a triangle wave: x itself on [-1, 1], and its slope is +-1
    everywhere, so a value pushed past an end turns back instead of sinking into a flat tail."""
    return (torch.remainder(x - 1, 4) - 2).abs() - 1


BOUNDS = {"inside": torch.tanh, "sine": torch.sin, "fold": fold}  # path -> what bounds its raw outputs


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


class Generator(nn.Module):
    """(noise, token ids) -> clips (B, 3, T, core, core) in [-1, 1]."""

    def __init__(self, cfg: ModelConfig, vocab_size: int):
        super().__init__()
        self.cfg = cfg
        c = cfg.g_channels
        self.text = TextEncoder(vocab_size, cfg.text_dim)
        self.start = mlp(cfg.z_content + cfg.text_dim, cfg.hidden, cfg.hidden)
        self.velocity = mlp(cfg.z_motion + cfg.text_dim, cfg.hidden, cfg.hidden)
        self.fc = nn.Linear(cfg.hidden, c * 16)
        blocks, side = [], 4
        while side < cfg.core // 2:
            blocks.append(UpBlock(c, c // 2))
            c, side = c // 2, side * 2
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.ConvTranspose2d(c + 2, 3, 4, stride=2, padding=1)  # last doubling, cheap
        self.register_buffer("times", torch.linspace(-1, 1, cfg.frames), persistent=False)
        self.side = cfg.core  # the upsampler takes it to cfg.size

    @property
    def noise_shape(self) -> tuple[int, ...]:
        return (self.cfg.z_content + self.cfg.z_motion,)

    def forward(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        e = self.text(ids)
        zc, zm = z.split([self.cfg.z_content, self.cfg.z_motion], 1)
        h0 = self.start(torch.cat([zc, e], 1))  # (B, hidden)
        v = self.velocity(torch.cat([zm, e], 1))
        h = h0[:, None] + self.times[None, :, None] * v[:, None]  # (B, T, hidden)
        x = rearrange(self.fc(h), "b t (c y x) -> (b t) c y x", y=4, x=4)
        x = self.to_rgb(with_coords(self.blocks(x)))
        return rearrange(torch.tanh(x), "(b t) c h w -> b c t h w", t=self.cfg.frames)


class SpriteGenerator(nn.Module):
    """What and where, generated apart: a sprite (RGB + alpha) from (content noise, text) and a
    straight path p_t = p0 + t v from (motion noise, content noise, text); every frame is the
    sprite moved to p_t (bilinear resampling) over a black background. The conv decoder runs
    once per clip instead of once per frame. With look="polygon" the sprite is a convex polygon
    of one colour, drawn for every frame where the path puts it (polygon_alpha, paste)."""

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
        self.text = TextEncoder(vocab_size, cfg.text_dim, init_std=cfg.look_word_std)
        self.path_text = TextEncoder(vocab_size, cfg.text_dim, pool="mean")
        u = pixel_centres(sprite)  # in sprite half-widths
        if cfg.look == "polygon":
            self.look = mlp(cfg.z_content + cfg.text_dim, cfg.hidden, cfg.hidden, 3 + FACETS)  # colour, sides
            angle = torch.arange(FACETS) * (2 * math.pi / FACETS)
            self.register_buffer("normal", torch.stack([angle.cos(), angle.sin()], 1), persistent=False)  # x right, y down
            where = torch.stack(torch.broadcast_tensors(u[None, :], u[:, None]), -1) * (sprite / 2)  # (S, S, 2) pixels
            self.register_buffer("reach", where @ self.normal.T, persistent=False)  # (S, S, FACETS): along each normal
        else:
            self.look = mlp(cfg.z_content + cfg.text_dim, cfg.hidden, c * start * start)
            blocks, side = [], start
            while side < sprite:
                blocks.append(UpBlock(c, c // 2))
                c, side = c // 2, side * 2
            self.blocks = nn.Sequential(*blocks)
            self.to_rgba = nn.Conv2d(c + 2, 4, 3, padding=1)
            if cfg.sprite_prior:
                with torch.no_grad():
                    self.to_rgba.bias[:3] = 2.0  # tanh(2) = 0.96: white
        self.path = mlp(cfg.z_content + cfg.z_motion + cfg.text_dim, cfg.hidden, cfg.hidden, 4)
        self.register_buffer("times", torch.linspace(0, 1, cfg.frames), persistent=False)
        ramp = (torch.arange(sprite) + 0.5).clamp(max=sprite - torch.arange(sprite) - 0.5)  # distance to the edge
        edge = (ramp - 0.5).clamp(0, 1)  # 0 on the outermost pixels, 1 from the second ring in
        self.register_buffer("window", (edge[:, None] * edge[None, :])[None, None], persistent=False)
        r = (u[:, None] ** 2 + u[None, :] ** 2).sqrt()
        self.register_buffer("prior", (cfg.sprite_prior * (1 - r / PRIOR_RADIUS))[None, None], persistent=False)

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
        with the polygon look, (B, 3 + FACETS) its colour and side logits (polygon)."""
        e = self.text(ids)
        zc = z[:, : self.cfg.z_content]
        if self.cfg.look == "polygon":
            return self.look(torch.cat([zc, e], 1))  # drawn by render, frame by frame
        x = rearrange(self.look(torch.cat([zc, e], 1)), "b (c y x) -> b c y x", y=3, x=3)
        rgba = self.to_rgba(with_coords(self.blocks(x)))
        alpha = torch.sigmoid(rgba[:, 3:] + self.prior) * self.window  # clear at the sprite's edge: no box outline
        return torch.cat([torch.tanh(rgba[:, :3]), alpha], 1)

    def polygon(self, p: torch.Tensor, shift: torch.Tensor | None = None) -> torch.Tensor:
        """(N, 3 + FACETS) colour and side logits -> (N, 4, S, S) a convex polygon of one colour
        (polygon_alpha), as a sprite."""
        s = self.reach.shape[0]
        rgb = torch.tanh(p[:, :3])[:, :, None, None].expand(-1, -1, s, s)
        return torch.cat([rgb, self.polygon_alpha(p, shift)], 1)

    def polygon_alpha(self, p: torch.Tensor, shift: torch.Tensor | None = None) -> torch.Tensor:
        """(N, 3 + FACETS) logits -> (N, 1, S, S) the polygon's alpha, anti-aliased as the data's
        shapes are (the signed distance to its nearest side, clamped over a pixel), its middle
        `shift` (N, 2) pixels off the sprite's middle if given. Side i lies d_i from the middle
        along its normal, d_i in (0, 1) of the sprite's half-width."""
        s = self.reach.shape[0]
        d = torch.sigmoid(p[:, 3:]) * (s / 2 - 1)  # in pixels; the outermost ring stays clear (window)
        if shift is not None:
            d = d + shift @ self.normal.T
        # how far inside its nearest side each pixel is (min over the last dim: 3x faster than amin, profiled)
        margin = (d[:, None, None, :] - self.reach).min(-1).values[:, None]
        return (margin + 0.5).clamp(0, 1) * self.window

    def place(self, z: torch.Tensor, ids: torch.Tensor, sprite: torch.Tensor) -> torch.Tensor:
        """(B, T, 2) the path of `sprite` (parts); the sprite only shifts it, with cfg.centre."""
        cfg = self.cfg
        p = self.path(torch.cat([z, self.path_text(ids)], 1))
        if cfg.path == "free":
            path = torch.tanh(p[:, :2])[:, None] + self.times[None, :, None] * p[:, None, 2:]
        else:
            # no longer than the frame along either axis (linear while short), and the midpoint
            # ranges as far as the path's half-length allows: both ends stay inside. "sine" and
            # "fold" bound with a sine or a triangle wave, which have no flat tail: a midpoint pushed
            # to a corner by tanh's saturated tail got a 600th of its gradient there and stayed, the
            # sprite parked still; the sine's slope still vanishes at its top, the fold's never (README)
            bound = BOUNDS[cfg.path]
            velocity = 2 * INSIDE * bound(p[:, 2:] / (2 * INSIDE))
            middle = (INSIDE - velocity.abs() / 2) * bound(p[:, :2])
            path = middle[:, None] + (self.times[None, :, None] - 0.5) * velocity[:, None]
        return self.anchor(path, sprite)

    def anchor(self, places: torch.Tensor, sprite: torch.Tensor) -> torch.Tensor:
        """(B, K, 2) where the sprite's middle goes for what the path places (its middle, or with
        cfg.centre its centre of mass) to land on `places` (B, K, 2), in frame units [-1, 1]."""
        if self.cfg.centre:
            return places - self.span * self.centre_of(self.mass(sprite))[:, None]
        return places

    def mass(self, sprite: torch.Tensor) -> torch.Tensor:
        """(B, 4, S, S) sprite (or the polygon look's (B, 3 + FACETS)) -> (B, 1, S, S) the mass
        whose centre the path places (cfg.centre_on)."""
        if sprite.dim() == 2:
            sprite = self.polygon(sprite)
        alpha = sprite[:, 3:]
        if self.cfg.centre_on == "alpha":
            return alpha
        return (alpha * (sprite[:, :3].mean(1, keepdim=True) + 1) / 2) ** 2  # what the frame shows, squared

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
        The polygon look's sprite (B, 3 + FACETS) is drawn anew for every frame with the sub-pixel
        part of its position, and pasted on whole pixels: nothing resamples (blurs) it."""
        t, side, scale = pos.shape[1], self.side, 1 / self.span
        if sprite.dim() == 2:
            px = rearrange(pos + 1, "b t k -> (b t) k") * (side / 2)  # from the frame's corner, in pixels
            whole = px.detach().round()  # the sprite's middle there puts its pixels on frame pixels
            alpha = self.paste(self.polygon_alpha(sprite.repeat_interleave(t, 0), px - whole), whole.long())
            rgb = torch.tanh(sprite[:, :3]).repeat_interleave(t, 0)[:, :, None, None]
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
    design = {"latent": Generator, "sprite": SpriteGenerator, "tutorial": TutorialGenerator}[cfg.design]
    return design(cfg, vocab_size)


def down(cin: int, cout: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1))


def batch_spread(x: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Minibatch standard deviation (as in ProGAN/StyleGAN): one extra channel holding how much
    the samples of a small group differ, so the discriminator can see a collapsed batch."""
    b = x.shape[0]
    g = next(k for k in range(min(group, b), 0, -1) if b % k == 0)  # largest group that divides b
    if g < 2:
        return torch.cat([x, torch.zeros_like(x[:, :1])], 1)
    y = rearrange(x, "(g m) c h w -> g m c h w", g=g)
    spread = y.var(0, unbiased=False).add(1e-8).sqrt().mean((1, 2, 3))  # (m,)
    spread = spread.repeat(g)[:, None, None, None].expand(-1, 1, *x.shape[2:])
    return torch.cat([x, spread], 1)


class ConvTower(nn.Module):
    """Spectral-normed strided convs from the core side down to 4x4, a minibatch-spread
    channel, then flattened features."""

    def __init__(self, cin: int, c: int, side: int):
        super().__init__()
        layers = []
        while side > 4:
            layers += [down(cin, c), nn.LeakyReLU(0.2)]
            cin, c, side = c, min(c * 2, 256), side // 2
        self.net = nn.Sequential(*layers)
        self.mix = spectral_norm(nn.Conv2d(cin + 1, cin, 3, padding=1))
        self.features = cin * 16

    def forward(self, x):
        return F.leaky_relu(self.mix(batch_spread(self.net(x))), 0.2).flatten(1)


class VideoDiscriminator(nn.Module):
    """Scores (clip, prompt) pairs. It sees all frames and their differences stacked as
    channels, so motion is visible to 2-D convs, and projects the text onto its features.
    A second head names the prompt's words from the clip alone (as in AC-GAN): a dense signal
    per word, so "up" and "right" are each learned and can be asked for together."""

    def __init__(self, cfg: ModelConfig, vocab_size: int):
        super().__init__()
        t = cfg.frames
        self.tower = ConvTower(3 * t + 3 * (t - 1), cfg.d_channels * 2, cfg.core)
        self.text = TextEncoder(vocab_size, cfg.text_dim)
        self.out = spectral_norm(nn.Linear(self.tower.features, 1))
        self.project = nn.Linear(cfg.text_dim, self.tower.features)
        self.words = nn.Linear(self.tower.features, vocab_size)

    def features(self, video: torch.Tensor) -> torch.Tensor:
        diffs = video[:, :, 1:] - video[:, :, :-1]
        x = torch.cat([rearrange(video, "b c t h w -> b (t c) h w"), rearrange(diffs, "b c t h w -> b (t c) h w")], 1)
        return F.leaky_relu(self.tower(x), 0.2)

    def score(self, f: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.out(f).squeeze(1) + (self.project(self.text(ids)) * f).sum(1)

    def forward(self, video: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(video), ids)


def bag_of_words(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(B, L) token ids -> (B, vocab) 0/1 targets for the word head; padding is never a word."""
    bag = torch.zeros(ids.shape[0], vocab_size, device=ids.device).scatter_(1, ids, 1.0)
    bag[:, 0] = 0
    return bag


class ImageDiscriminator(nn.Module):
    """Scores single frames: are they plausible pictures of a shape? Optionally it also reads the
    prompt (`project`: projection onto its features) and names the prompt's words from the frame
    (a word head given a vocabulary, as the video discriminator's): both judge shape, colour and
    size at a resolution the video discriminator (at the core side) does not see."""

    def __init__(self, cfg: ModelConfig, side: int | None = None, vocab_size: int = 0, project: bool = False,
                 words: bool = False):
        super().__init__()
        self.tower = ConvTower(3, cfg.d_channels, side or cfg.core)
        self.out = spectral_norm(nn.Linear(self.tower.features, 1))
        self.text = TextEncoder(vocab_size, cfg.text_dim) if project else None
        self.project = nn.Linear(cfg.text_dim, self.tower.features) if project else None
        self.words = nn.Linear(self.tower.features, vocab_size) if words else None

    def features(self, frames: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) -> (N, F)
        return F.leaky_relu(self.tower(frames), 0.2)

    def score(self, f: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        score = self.out(f).squeeze(1)
        if self.text is not None:
            score = score + (self.project(self.text(ids)) * f).sum(1)
        return score

    def forward(self, frames: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.score(self.features(frames), ids)


def frame_centres(frames: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) frames in [-1, 1] on a black background -> (N, 2) the centre (x, y) of each
    frame's foreground mass, in pixels (0 is the first pixel's middle); the middle when empty."""
    h, w = frames.shape[-2:]
    mass = (frames.amax(1) + 1).clamp(min=0)  # (N, H, W), 0 on the background
    total = mass.sum((1, 2)).clamp(min=1e-6)
    ys = torch.arange(h, device=frames.device, dtype=frames.dtype)
    xs = torch.arange(w, device=frames.device, dtype=frames.dtype)
    cy = torch.where(total > 1e-3, (mass.sum(2) * ys).sum(1) / total, torch.full_like(total, h / 2))
    cx = torch.where(total > 1e-3, (mass.sum(1) * xs).sum(1) / total, torch.full_like(total, w / 2))
    return torch.stack([cx, cy], 1)


def centred_crops(frames: torch.Tensor, side: int) -> torch.Tensor:
    """(N, 3, H, W) frames in [-1, 1] on a black background -> (N, 3, side, side) windows centred
    (to the nearest pixel) on each frame's foreground mass; outside the frame reads as background.
    The window moves with the object, so a small discriminator sees the shape at full resolution."""
    n = frames.shape[0]
    with torch.no_grad():
        cx, cy = frame_centres(frames).unbind(1)
        top = cy.round().long() - side // 2 + side  # in padded coordinates
        left = cx.round().long() - side // 2 + side
        offs = torch.arange(side, device=frames.device)
        rows, cols = (top[:, None] + offs)[:, :, None], (left[:, None] + offs)[:, None, :]  # (N, S, 1), (N, 1, S)
    padded = F.pad(frames, (side, side, side, side), value=-1.0)
    crops = padded[torch.arange(n, device=frames.device)[:, None, None], :, rows, cols]  # (N, S, S, 3)
    return rearrange(crops, "n y x c -> n c y x")


class Upsampler(nn.Module):
    """Learned 2x upsampling of frames: bilinear plus a small residual conv net, trained on
    real pairs (a 64x64 frame and its 2x2 average) with an L1 loss."""

    def __init__(self, channels: int = 24):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 3, 3, padding=1),
        )

    def forward(self, video: torch.Tensor) -> torch.Tensor:  # (B, 3, T, h, w) -> (B, 3, T, 2h, 2w)
        t = video.shape[2]
        x = rearrange(video, "b c t h w -> (b t) c h w")
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = (x + self.net(x)).clamp(-1, 1)
        return rearrange(x, "(b t) c h w -> b c t h w", t=t)


def downsample(video: torch.Tensor, factor: int) -> torch.Tensor:
    """2x2 (or factor x factor) average of every frame: (B, 3, T, H, W) -> (B, 3, T, H/f, W/f)."""
    if factor == 1:
        return video
    return F.avg_pool3d(video, (1, factor, factor))
