"""The GAN's losses: hinge (ours) or binary cross-entropy (the tutorial's), for the
discriminators' and the generator's steps."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(kind: str, real: torch.Tensor, fakes: list[torch.Tensor]) -> torch.Tensor:
    real, fakes = real.float(), [f.float() for f in fakes]  # under autocast scores may be bf16/fp16
    if kind == "hinge":
        return F.relu(1 - real).mean() + sum(F.relu(1 + f).mean() for f in fakes) / len(fakes)
    ones = torch.ones_like(real)
    return F.binary_cross_entropy_with_logits(real, ones) + sum(
        F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)) for f in fakes) / len(fakes)


def g_loss(kind: str, scores: torch.Tensor) -> torch.Tensor:
    scores = scores.float()
    if kind == "hinge":
        return -scores.mean()
    return F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))


def word_loss(weight: float, logits: torch.Tensor, bag: torch.Tensor) -> torch.Tensor:
    """A discriminator's word head (AC-GAN style): `weight` times the binary cross-entropy of its
    (N, vocabulary) logits against the (N, vocabulary) bag of words the input should show."""
    return weight * F.binary_cross_entropy_with_logits(logits, bag)
