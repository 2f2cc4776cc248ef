"""The inference path: `load(DIR)` and `VideoModel.generate(prompts, n, seed)`.

Clip j of a prompt gets noise from (seed, j) alone, and the networks normalise per sample, so
a clip is the same whatever else is generated with it, in eval mode, alone or in a batch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .data import to_uint8
from .errors import UserError
from .models import ModelConfig, Upsampler, make_generator
from .presets import trained_words
from .text import Vocabulary, tokenize

MAX_BATCH = 64


def clip_noise(shape: tuple[int, ...], seed: int, index: int) -> torch.Tensor:
    """Noise of clip `index` under `seed`, independent of any other clip."""
    state = np.random.SeedSequence([seed & 0xFFFFFFFF, index]).generate_state(2, np.uint64)[0]
    return torch.randn(shape, generator=torch.Generator().manual_seed(int(state) >> 1))


class VideoModel:
    """A trained generator with its vocabulary: prompts in, uint8 clips out."""

    def __init__(self, generator, upsampler, vocab: Vocabulary, cfg: ModelConfig, device=None, config: dict | None = None,
                 known: list[str] | None = None):
        self.G, self.U, self.vocab, self.cfg = generator, upsampler, vocab, cfg
        self.device = device or torch.device("cpu")
        self.config = config or {}
        self.known = known  # the words of its training prompts; None: every word of its vocabulary

    def check(self, prompt: str) -> None:
        """A UserError naming the first word of `prompt` that this model was not trained on."""
        unknown = [] if self.known is None else [w for w in tokenize(prompt) if w not in self.known]
        if unknown:
            raise UserError(f"this model was not trained on the word {unknown[0]!r} (in {prompt!r}); "
                            f"the words it knows: {', '.join(self.known)}")

    @torch.no_grad()
    def generate_from_noise(self, prompts: list[str], noise: torch.Tensor) -> np.ndarray:
        """Every prompt with every noise row: uint8 (len(prompts) * len(noise), T, H, W, 3)."""
        ids = self.vocab.batch(prompts)  # validates every prompt before any work
        for prompt in prompts:
            self.check(prompt)
        was_training = self.G.training
        self.G.eval()
        self.U.eval()
        try:
            ids = ids.repeat_interleave(len(noise), 0)
            z = noise.repeat(len(prompts), *[1] * (noise.dim() - 1))
            out = []
            for lo in range(0, len(ids), MAX_BATCH):
                x = self.G(z[lo:lo + MAX_BATCH].to(self.device), ids[lo:lo + MAX_BATCH].to(self.device))
                if x.shape[-1] != self.cfg.size:
                    x = self.U(x)
                out.append(to_uint8(x))
        finally:
            self.G.train(was_training)
            self.U.train(was_training)
        return np.concatenate(out)

    def generate(self, prompts: str | list[str], n: int = 1, seed: int = 0) -> np.ndarray:
        """n clips per prompt, prompt by prompt: uint8 (len(prompts) * n, T, H, W, 3)."""
        if isinstance(prompts, str):
            prompts = [prompts]
        if not prompts:
            raise UserError("give at least one prompt")
        if not isinstance(n, int) or n <= 0:
            raise UserError(f"n must be a positive whole number of clips per prompt, got {n}")
        noise = torch.stack([clip_noise(tuple(self.G.noise_shape), seed, j) for j in range(n)])
        return self.generate_from_noise(list(prompts), noise)


def load(directory: str | Path, device: str = "cpu") -> VideoModel:
    """Load a model directory (or a run directory's latest checkpoint). Nothing is unpickled."""
    directory = ckpt.model_dir(directory)
    config = ckpt.verify(directory)
    try:
        cfg = ModelConfig.from_json(config["model"])
        vocab = Vocabulary.from_json(config["vocabulary"])
    except (KeyError, TypeError) as e:
        raise UserError(f"{directory / 'config.json'} is missing or has a malformed field ({e})") from None
    G, U = make_generator(cfg, len(vocab)), Upsampler(cfg.up_channels)
    ckpt.load_weights(directory / "model.safetensors", {"generator": G, "upsampler": U})
    dev = torch.device(device)
    return VideoModel(G.to(dev).eval(), U.to(dev).eval(), vocab, cfg, dev, config, trained_words(config))
