"""The discriminators: the video discriminator (all frames and their differences, the prompt
projected, a word head) and the image discriminator (single frames or windows on the object),
with the helpers that find and crop the object in a frame."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..text import TextEncoder
from .config import ModelConfig


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

    def __init__(self, cfg: ModelConfig, vocab_size: int, side: int | None = None):
        super().__init__()
        t = cfg.frames
        self.tower = ConvTower(3 * t + 3 * (t - 1), cfg.d_channels * 2, side or cfg.core)
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


def centred_clips(video: torch.Tensor, side: int) -> torch.Tensor:
    """(B, 3, T, H, W) clips -> (B, 3, T, side, side): every frame's window centred on its object
    (centred_crops), so a small video discriminator sees the object turn and grow at full size."""
    t = video.shape[2]
    crops = centred_crops(rearrange(video, "b c t h w -> (b t) c h w"), side)
    return rearrange(crops, "(b t) c h w -> b c t h w", t=t)


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
