"""From the core side to the output side: the learned 2x Upsampler and the average that makes
its training pairs (and the discriminators' clips) from full-size frames."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


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
