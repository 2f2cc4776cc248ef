"""Text side: the tokenizer, the vocabulary (saved with every model) and the learned encoder.

Prompts are short phrases of the grammar in `grammar`. The encoder pools learned word vectors,
so a held-out phrase ("up right") is built from words that were each seen in training.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .errors import UserError
from .grammar import ARTICLES, grammar_words, tokenize

__all__ = ["ARTICLES", "PAD", "TextEncoder", "Vocabulary", "tokenize"]
PAD = "<pad>"


@dataclass(frozen=True)
class Vocabulary:
    """Word list; index 0 is padding. Built from the grammar and saved as JSON with a model."""

    words: tuple[str, ...]

    def __post_init__(self):
        if len(set(self.words)) != len(self.words) or PAD in self.words:
            raise UserError("a vocabulary lists each word once and never the padding token")

    @classmethod
    def from_grammar(cls) -> "Vocabulary":
        return cls(tuple(grammar_words()))

    def __len__(self) -> int:
        return len(self.words) + 1

    def index(self, word: str) -> int:
        try:
            return self.words.index(word) + 1
        except ValueError:
            raise UserError(
                f"unknown word {word!r} in prompt; known words: {', '.join(self.words)}"
            ) from None

    def encode(self, prompt: str) -> list[int]:
        tokens = tokenize(prompt)
        if not tokens:
            raise UserError(f"empty prompt {prompt!r}; try for example 'circle moving up-right'")
        return [self.index(w) for w in tokens]

    def batch(self, prompts: list[str]) -> torch.Tensor:
        """Token ids, right-padded with 0: (B, L) int64."""
        ids = [self.encode(p) for p in prompts]
        out = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
        for row, seq in zip(out, ids):
            row[: len(seq)] = torch.tensor(seq)
        return out

    def to_json(self) -> dict:
        return {"words": list(self.words)}

    @classmethod
    def from_json(cls, data: dict) -> "Vocabulary":
        try:
            return cls(tuple(str(w) for w in data["words"]))
        except (KeyError, TypeError):
            raise UserError("a vocabulary is a JSON object with a list under 'words'") from None


class TextEncoder(nn.Module):
    """Sum (or mean) of learned word vectors, then a small MLP: (B, L) ids -> (B, dim).

    Order-free pooling is what makes "up right" expressible from "up" and "right"; the
    grammar carries no meaning in word order. A sum lets a word that does not matter to an
    encoder learn a zero vector and vanish, whatever the prompt's length; a mean keeps the
    scale of "up right" that of "up", which suits an encoder that turns words into a velocity.
    """

    def __init__(self, vocab_size: int, dim: int = 64, word_dim: int = 64, pool: str = "sum", init_std: float = 0.3):
        super().__init__()
        if pool not in ("sum", "mean"):
            raise ValueError(f"pool must be 'sum' or 'mean', got {pool!r}")
        self.pool = pool
        self.embed = nn.Embedding(vocab_size, word_dim, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=init_std)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.mlp = nn.Sequential(nn.Linear(word_dim, dim), nn.LeakyReLU(0.2), nn.Linear(dim, dim))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pooled = self.embed(ids).sum(1)  # padding (id 0) embeds to zero
        if self.pool == "mean":
            pooled = pooled / (ids > 0).sum(1, keepdim=True).clamp(min=1)
        return self.mlp(pooled)
