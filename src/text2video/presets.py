"""Dataset presets and their held-out splits.

A preset lists the values each attribute takes and which attributes its prompts say; a split
is a list of rules (attribute -> value) whose every match is kept out of training. The split is
data: it is saved with each dataset and each model, and `--holdout` can name another one.
A combination may have more than one prompt ("circle moving diagonally up-right"): `prompts`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .grammar import (ATTRIBUTES, COLOURS, DIRECTIONS, DOMAINS, HAS_SPEED, MOTIONS, SHAPES, Attributes, parse_prompt,
                      tokenize)


@dataclass(frozen=True)
class Split:
    """Held-out rules, e.g. ({"shape": "square", "colour": "red"}, {"direction": "up-right"})."""

    rules: tuple[dict[str, str], ...]

    def is_heldout(self, attrs: Attributes) -> bool:
        return any(attrs.matches(rule) for rule in self.rules)

    @classmethod
    def parse(cls, phrases: list[str]) -> "Split":
        """From phrases in prompt words: ["red square", "triangle up-right", "yellow down"]."""
        rules = []
        for phrase in phrases:
            rule = parse_prompt(phrase)
            if not rule:
                raise UserError(f"held-out rule {phrase!r} names no attribute; e.g. 'red square'")
            rules.append(rule)
        return cls(tuple(rules))

    def to_json(self) -> list[dict[str, str]]:
        return [dict(r) for r in self.rules]

    @classmethod
    def from_json(cls, data: list) -> "Split":
        try:
            rules = tuple({str(k): str(v) for k, v in rule.items()} for rule in data)
        except (AttributeError, TypeError):
            raise UserError("a split is a JSON list of {attribute: value} rules") from None
        for rule in rules:
            if not set(rule) <= set(ATTRIBUTES):
                raise UserError(f"split rule {rule} uses attributes outside {', '.join(ATTRIBUTES)}")
        return cls(rules)


@dataclass(frozen=True)
class Preset:
    """The combinations a dataset draws from, the words its prompts say, and its default split."""

    name: str
    shapes: tuple[str, ...]
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    directions: tuple[str, ...]
    speeds: tuple[str, ...]
    said: tuple[str, ...]  # attributes its prompts say; "diagonally": diagonal ones also with that word
    holdout: Split
    motions: tuple[str, ...] = ("moving",)

    def combinations(self) -> list[Attributes]:
        """Every combination of the values, less those the grammar refuses (a speed for a turn)."""
        grid = itertools.product(self.shapes, self.colours, self.sizes, self.directions, self.speeds, self.motions)
        return [Attributes(*v) for v in grid if v[3] in MOTIONS[v[5]] and (v[4] == "normal" or v[5] in HAS_SPEED)]

    def prompt(self, attrs: Attributes) -> str:
        """The canonical prompt of a combination."""
        return attrs.prompt(self.said)

    def prompts(self, attrs: Attributes) -> list[str]:
        """Every prompt of a combination, the canonical one first."""
        also = "diagonally" in self.said and attrs.diagonal
        return [attrs.prompt(self.said)] + ([attrs.prompt(self.said, diagonally=True)] if also else [])

    def phrase(self, attributes: list[Attributes], rng: np.random.Generator) -> list[str]:
        """A prompt for each clip, drawn among its combination's prompts (no draw where it has one)."""
        options = [self.prompts(a) for a in attributes]
        return [o[0] if len(o) == 1 else o[int(rng.integers(len(o)))] for o in options]

    def partition(self, split: Split | None = None) -> tuple[list[Attributes], list[Attributes]]:
        """(training combinations, held-out combinations), checked to make a fair test:
        both non-empty, and every word of a held-out prompt said in some training prompt."""
        split = split or self.holdout
        combos = self.combinations()
        train = [a for a in combos if not split.is_heldout(a)]
        held = [a for a in combos if split.is_heldout(a)]
        if not train or not held:
            which = "training" if not train else "held-out"
            raise UserError(f"split {split.to_json()} leaves the {which} set of preset {self.name!r} empty")
        seen = {w for a in train for p in self.prompts(a) for w in p.replace("-", " ").split()}
        for a in held:
            unseen = [w for p in self.prompts(a) for w in p.replace("-", " ").split() if w not in seen]
            if unseen:
                raise UserError(
                    f"split {split.to_json()} hides the word(s) {', '.join(unseen)} from training; "
                    "a held-out prompt must be a new combination of seen words"
                )
        return train, held

    def to_json(self) -> dict:
        return {"name": self.name, "said": list(self.said)}


PRESETS = {
    "circles": Preset(
        name="circles",
        shapes=("circle",),
        colours=("white",),
        sizes=("medium",),
        directions=tuple(DIRECTIONS),
        speeds=("normal",),
        said=("shape", "direction"),
        # The only one of the 8 directions whose prompt has both "up" and "right".
        holdout=Split(({"direction": "up-right"},)),
    ),
    "shapes": Preset(
        name="shapes",
        shapes=SHAPES,
        colours=tuple(COLOURS),
        sizes=("small", "large"),
        directions=tuple(DIRECTIONS),
        speeds=("slowly", "normal", "quickly"),
        said=("shape", "colour", "size", "direction", "speed"),
        holdout=Split(
            (
                {"shape": "square", "colour": "red"},
                {"shape": "triangle", "direction": "up-right"},
                {"colour": "yellow", "direction": "down"},
            )
        ),
    ),
    "patterns": Preset(
        name="patterns",
        shapes=("circle",),
        colours=("white",),
        sizes=("medium",),
        directions=DOMAINS["direction"],
        speeds=("normal",),
        motions=tuple(MOTIONS),
        said=("shape", "motion", "direction", "diagonally"),
        # Each held-out prompt is new only as a whole: "up" and "right", "bouncing" and
        # "horizontally", "zigzagging" and "vertically" are each seen in other prompts.
        holdout=Split(
            (
                {"direction": "up-right"},
                {"motion": "bouncing", "direction": "horizontally"},
                {"motion": "zigzagging", "direction": "vertically"},
            )
        ),
    ),
}


def trained_on(config: dict) -> tuple[str | None, Split | None]:
    """(preset name, split) of a saved model's config.json: `preset` is a name or {"name": ...};
    None where the config does not say."""
    preset = config.get("preset")
    name = preset.get("name") if isinstance(preset, dict) else preset
    return name, Split.from_json(config["split"]) if config.get("split") is not None else None


def trained_words(config: dict) -> list[str] | None:
    """The words of a saved model's training prompts: its config's `prompt_words`, or for a model
    saved before it had them, the words of its preset's training split; None where unknown."""
    if isinstance(config.get("prompt_words"), list):
        return [str(w) for w in config["prompt_words"]]
    name, split = trained_on(config)
    if name not in PRESETS:
        return None
    train, _ = PRESETS[name].partition(split)
    return sorted({w for a in train for p in PRESETS[name].prompts(a) for w in tokenize(p)})


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


def draw(combos: list[Attributes], n: int, rng: np.random.Generator) -> list[Attributes]:
    """n combinations drawn uniformly with replacement."""
    return [combos[i] for i in rng.integers(0, len(combos), n)]
