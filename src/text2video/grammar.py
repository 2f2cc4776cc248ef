"""The prompt grammar: its words, what each attribute may be, and prompts parsed into attributes.

    [a|the] [small|large] [colour] <shape> <motion> [complement] [slowly|quickly]

`text` tokenizes and encodes prompts with these words, `synth` draws what they describe and
`presets` picks which combinations exist; this module imports neither of them.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from .errors import UserError

SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "white": (255, 255, 255),
}
# Half-width of the shape. "medium" is the unsaid size; large leaves room for the fastest path.
SIZES = {"small": 0.065, "medium": 0.085, "large": 0.105}
# Distance travelled over the whole clip. "normal" is the unsaid speed.
SPEEDS = {"slowly": (0.15, 0.30), "normal": (0.30, 0.50), "quickly": (0.50, 0.75)}
_S = math.sqrt(0.5)
# Unit vectors in image coordinates (x right, y down).
DIRECTIONS = {
    "up": (0.0, -1.0),
    "down": (0.0, 1.0),
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up-right": (_S, -_S),
    "up-left": (-_S, -_S),
    "down-right": (_S, _S),
    "down-left": (-_S, _S),
}
AXES = ("vertically", "horizontally")
SENSES = ("clockwise", "counter-clockwise")
NONE = "none"  # the complement of a motion that takes none ("circle shrinking"); never said
# Each motion's verb and the complements it takes; "moving" is the unsaid, straight motion.
MOTIONS = {
    "moving": tuple(DIRECTIONS),
    "bouncing": AXES,
    "zigzagging": AXES,
    "rotating": SENSES,
    "shrinking": (NONE,),
    "expanding": (NONE,),
}
HAS_SPEED = ("moving", "bouncing")  # motions whose distance over the clip a speed word sets
UNSAID = {"size": "medium", "speed": "normal", "motion": "moving"}
ATTRIBUTES = ("shape", "colour", "size", "direction", "speed", "motion")
DOMAINS = {
    "shape": SHAPES,
    "colour": tuple(COLOURS),
    "size": tuple(SIZES),
    "direction": (*DIRECTIONS, *AXES, *SENSES, NONE),
    "speed": tuple(SPEEDS),
    "motion": tuple(MOTIONS),
}

# The 18 prompts the tutorial this project answers trains on, verbatim.
TUTORIAL_PROMPTS = (
    "circle moving down", "circle moving left", "circle moving right",
    "circle moving diagonally up-right", "circle moving diagonally down-left",
    "circle moving diagonally up-left", "circle moving diagonally down-right",
    "circle moving up-left", "circle moving down-right", "circle moving down-left",
    "circle rotating clockwise", "circle rotating counter-clockwise",
    "circle shrinking", "circle expanding",
    "circle bouncing vertically", "circle bouncing horizontally",
    "circle zigzagging vertically", "circle zigzagging horizontally",
)
ARTICLES = frozenset({"a", "an", "the"})
# Other spellings, rewritten to the grammar's tokens so a model sees one meaning as one phrase.
SYNONYMS = {"anticlockwise": ("counter", "clockwise"), "counterclockwise": ("counter", "clockwise")}
_SPLIT = re.compile(r"[\s\-]+")


def tokenize(prompt: str) -> list[str]:
    """Lower-case, split on white space and hyphens, drop articles, spell synonyms one way."""
    if not isinstance(prompt, str):
        raise UserError(f"a prompt must be text, got {type(prompt).__name__}")
    words = [w for w in _SPLIT.split(prompt.lower()) if w and w not in ARTICLES]
    return [t for w in words for t in SYNONYMS.get(w, (w,))]


def grammar_words() -> list[str]:
    """Every token a prompt may use (articles aside), in a fixed order: the default vocabulary.
    Words added later go last, so the first ones keep their ids."""
    words = ["small", "large", *COLOURS, *SHAPES, "moving", "up", "down", "left", "right", "slowly", "quickly"]
    return words + ["diagonally", *list(MOTIONS)[1:], *AXES, "clockwise", "counter"]


@dataclass(frozen=True)
class Attributes:
    """What a clip shows. Every field is set; `prompt` leaves out what a preset does not say.
    `direction` is the motion's complement: a direction, an axis, a sense of turning or none."""

    shape: str = "circle"
    colour: str = "white"
    size: str = "medium"
    direction: str = "right"
    speed: str = "normal"
    motion: str = "moving"

    def __post_init__(self):
        for name, domain in DOMAINS.items():
            if getattr(self, name) not in domain:
                raise UserError(f"{name} {getattr(self, name)!r} is not one of {', '.join(domain)}")
        if self.direction not in MOTIONS[self.motion]:
            raise UserError(f"{self.motion} takes {' or '.join(MOTIONS[self.motion])}, not {self.direction!r}")
        if self.speed != "normal" and self.motion not in HAS_SPEED:
            raise UserError(f"{self.motion} has no speed; only {' and '.join(HAS_SPEED)} take slowly or quickly")

    def prompt(self, said: tuple[str, ...] = ATTRIBUTES, diagonally: bool = False) -> str:
        size = self.size if "size" in said and self.size != "medium" else ""
        colour = self.colour if "colour" in said else ""
        speed = self.speed if "speed" in said and self.speed != "normal" else ""
        direction = "" if self.direction == NONE else self.direction
        words = [size, colour, self.shape, self.motion, "diagonally" if diagonally else "", direction, speed]
        return " ".join(w for w in words if w)

    @property
    def diagonal(self) -> bool:
        """Moving along a diagonal, the only clips whose prompt may say 'diagonally'."""
        return self.motion == "moving" and "-" in self.direction

    def matches(self, rule: dict[str, str]) -> bool:
        return all(getattr(self, k) == v for k, v in rule.items())

    def to_json(self) -> dict:
        return asdict(self)


_WORD_ATTRIBUTE = {w: a for a in ("shape", "colour") for w in DOMAINS[a]}
_WORD_ATTRIBUTE.update({"small": "size", "large": "size", "slowly": "speed", "quickly": "speed"})
_WORD_ATTRIBUTE.update({w: "motion" for w in list(MOTIONS)[1:]})
_WORD_ATTRIBUTE.update({w: "direction" for w in (*AXES, *SENSES)})


def _senses(words: list[str], prompt: str) -> list[str]:
    """Fold "counter" "clockwise" into one token; "counter" anywhere else is an error."""
    out = []
    for word in words:
        if out and out[-1] == "counter":
            if word != "clockwise":
                break
            out[-1] = "counter-clockwise"
            continue
        out.append(word)
    if out and out[-1] == "counter":
        raise UserError(f"'counter' in prompt {prompt!r} must come right before 'clockwise'")
    return out


def parse_prompt(prompt: str) -> dict[str, str]:
    """The attributes a prompt states, e.g. {"shape": "circle", "direction": "up-right"}.

    Word order is free, "up right" and "up-right" are the same direction; "moving" and
    "diagonally" state nothing of their own. Unknown words, two values for one attribute,
    contradictory directions and a complement the motion does not take are errors.
    """
    found: dict[str, str] = {}
    vertical, horizontal, diagonally = [], [], False
    for word in _senses(tokenize(prompt), prompt):
        if word == "moving":
            continue
        if word == "diagonally":
            diagonally = True
            continue
        if word in ("up", "down"):
            vertical.append(word)
            continue
        if word in ("left", "right"):
            horizontal.append(word)
            continue
        attr = _WORD_ATTRIBUTE.get(word)
        if attr is None:
            raise UserError(f"unknown word {word!r} in prompt {prompt!r}; known words: {', '.join(grammar_words())}")
        if attr in found and found[attr] != word:
            raise UserError(f"prompt {prompt!r} names two {attr}s: {found[attr]} and {word}")
        found[attr] = word
    if len(set(vertical)) > 1 or len(set(horizontal)) > 1:
        raise UserError(f"prompt {prompt!r} names opposite directions; say e.g. 'up-right'")
    if vertical or horizontal:
        if "direction" in found:
            raise UserError(f"prompt {prompt!r} names two directions: {found['direction']} and {'-'.join(vertical[:1] + horizontal[:1])}")
        found["direction"] = "-".join(vertical[:1] + horizontal[:1])
    _check_complement(found, diagonally, prompt)
    return found


def _check_complement(found: dict[str, str], diagonally: bool, prompt: str) -> None:
    motion = found.get("motion", "moving")
    if diagonally and ("-" not in found.get("direction", "-") or motion != "moving"):
        raise UserError(f"'diagonally' in prompt {prompt!r} goes only before up-right, up-left, down-right or down-left")
    if "direction" in found and found["direction"] not in MOTIONS[motion]:
        takes = ", ".join(MOTIONS[motion]) if MOTIONS[motion] != (NONE,) else "nothing after it"
        raise UserError(f"prompt {prompt!r}: {motion} takes {takes}, not {found['direction']}")
    if found.get("speed", "normal") != "normal" and motion not in HAS_SPEED:
        raise UserError(f"prompt {prompt!r}: {motion} has no speed; only {' and '.join(HAS_SPEED)} take {found['speed']}")


def attributes_for(prompt: str) -> Attributes:
    """The clip a prompt describes, with unsaid attributes at their defaults (white, medium,
    normal speed). A prompt must say which way to move, or a motion that needs no direction."""
    stated = parse_prompt(prompt)
    motion = stated.get("motion", "moving")
    if "direction" not in stated:
        if MOTIONS[motion] != (NONE,):
            raise UserError(f"prompt {prompt!r} says no {'direction' if motion == 'moving' else 'way of ' + motion}; "
                            f"add one of {', '.join(MOTIONS[motion])}")
        stated["direction"] = NONE
    return Attributes(**stated)
