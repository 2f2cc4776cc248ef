"""The GAN's losses: hinge (ours) or binary cross-entropy (the tutorial's), and each phase's terms
for one discriminator: `critic_loss` in the discriminators' step, `fooling_loss` in the
generator's. Every discriminator has a score(features, ids) and, where it names words, words(features)."""
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


def g_loss(kind: str, scores: torch.Tensor, share: torch.Tensor | None = None) -> torch.Tensor:
    """How far (N,) scores are from real, averaged with each counting by `share` (N,) (all 1 if None)."""
    scores = scores.float()
    share = torch.ones_like(scores) if share is None else share.float()
    if kind == "hinge":
        return -(share * scores).mean()
    return (share * F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores), reduction="none")).mean()


def word_loss(weight: float, logits: torch.Tensor, bag: torch.Tensor,
              share: torch.Tensor | None = None) -> torch.Tensor:
    """A discriminator's word head (AC-GAN style): `weight` times the binary cross-entropy of its
    (N, vocabulary) logits against the (N, vocabulary) bag of words the input should show, each input
    counting by `share` (N,)."""
    if share is None:
        return weight * F.binary_cross_entropy_with_logits(logits, bag)
    each = F.binary_cross_entropy_with_logits(logits.float(), bag, reduction="none")  # (N, vocabulary)
    return weight * (share.float()[:, None] * each).mean()


def critic_loss(kind: str, D, real: tuple, fakes: list[tuple], weight: float = 1.0, words: float = 0.0,
                bag: torch.Tensor | None = None) -> torch.Tensor:
    """One discriminator's loss: `weight` times its score of `real` (features, ids) against each of
    `fakes` [(features, ids)], plus `words` times its word head naming the real inputs' words (`bag`).
    The real input is scored first: spectral norm's power iteration runs at every call."""
    f_real, ids = real
    loss = weight * d_loss(kind, D.score(f_real, ids), [D.score(f, i) for f, i in fakes]) if weight else 0.0
    return loss + word_loss(words, D.words(f_real), bag) if words else loss


def fooling_loss(kind: str, D, fake: tuple, weight: float = 1.0, words: float = 0.0,
                 bag: torch.Tensor | None = None, share: torch.Tensor | None = None) -> torch.Tensor:
    """The generator's loss against one discriminator: `weight` times how fake it scores `fake`
    (features, ids), plus `words` times its word head missing the prompt's words (`bag`) in them;
    each input counting by `share` (N,): the odds of the coin it was drawn with."""
    f, ids = fake
    loss = weight * g_loss(kind, D.score(f, ids), share) if weight else 0.0
    return loss + word_loss(words, D.words(f), bag, share) if words else loss
