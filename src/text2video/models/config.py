"""ModelConfig: the networks' sizes and the sprite design's options, with the names of what each
option may be; a config saved before an option existed, or after one was deleted, loads as it was
trained."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import UserError


DESIGNS = ("sprite", "tutorial")
LOOKS = ("conv", "words")  # how the sprite design draws its sprite: ModelConfig.look
# The words look's polygon has its corners at these many angles, evenly spaced: every 15 degrees, so
# that it can draw a square (corners at 45, 135, 225, 315), an upright triangle (270, 30, 150) and a
# circle to within 2% of its area (a 24-gon), but as well any other polygon with corners at those angles.
FACETS = 24
# "motion": a pose per frame from models.motion; "line": the same held to straight lines, upright
# and of one size (no swing, turn, growth or bounce); "fold": a straight path whose middle and
# length a triangle wave bounds, from an MLP; "free": unbounded, what models trained before the fold
# path use
PATHS = ("motion", "line", "fold", "free")
# How the words look makes its colour from its three numbers: "fold" (models.fold), whose slope is
# never 0, or "tanh", which held a colour at the wrong end (docs/HISTORY.md), as models before it do
COLOURS_BY = ("fold", "tanh")
POSED = ("motion", "line")  # the paths the motion module draws: a pose (place, log-scale, angle) a frame


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
    # Options of the sprite design (docs/HISTORY.md: how each was chosen)
    look_word_std: float = 0.0  # the look encoder's first word vectors; 0: one look for every prompt
    # "fold": the path's middle and length bounded by a triangle wave (models.fold), so both ends
    # stay inside the frame; "free": p0 + t v, unbounded
    path: str = "fold"
    centre: bool = True  # the path places the sprite's centre of mass (its alpha's), not its middle
    design: str = "sprite"  # see DESIGNS
    # how the sprite design draws the object: "conv", a conv decoder's RGBA from (content noise,
    # text); "words", a polygon of one colour, its colour, corners and size each from the words of
    # one role (generators.WordLook): 28 numbers instead of a picture
    look: str = "conv"
    colour: str = "fold"  # see COLOURS_BY; the words look's only
    # the words look also cuts a round spot from its polygon, its depth, place and size from the
    # shape and motion words: a rotating circle's mark (generators.WordLook)
    mark: bool = False

    def __post_init__(self):
        if self.frames < 2:
            raise UserError(f"frames must be at least 2, got {self.frames}")
        if self.core < 8 or self.core & (self.core - 1):
            raise UserError(f"core must be a power of two of at least 8, got {self.core}")
        if self.size not in (self.core, 2 * self.core):
            raise UserError(f"size must equal core ({self.core}) or twice it, got {self.size}")
        if self.design not in DESIGNS:
            raise UserError(f"design must be one of {', '.join(DESIGNS)}, got {self.design!r}")
        if self.path not in PATHS:
            raise UserError(f"path must be one of {', '.join(PATHS)}, got {self.path!r}")
        if self.look not in LOOKS:
            raise UserError(f"look must be one of {', '.join(LOOKS)}, got {self.look!r}")
        if self.colour not in COLOURS_BY:
            raise UserError(f"colour must be one of {', '.join(COLOURS_BY)}, got {self.colour!r}")
        if self.mark and self.look != "words":
            raise UserError(f"mark cuts a spot from the words look: set look=words with it, got look={self.look!r}")
        if self.look != "conv" and self.design != "sprite":
            raise UserError(f"look={self.look} draws the sprite design's sprite; got design {self.design!r}: "
                            "set look=conv")

    def to_json(self) -> dict:
        # "sense" tells this model from one saved before the coin, whose config lacks it (from_json)
        return {**asdict(self), "sense": "coin"}

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        data = {**EARLIER, **data}
        if "colour" not in data:  # the words looks saved before it had a tanh colour; other looks have none
            data["colour"] = "tanh" if data["look"] == "words" else "fold"
        if data["path"] == "motion" and data.pop("sense", "sign") != "coin":
            raise UserError("this model's motion module turns by the sign of its sense words' sum, which "
                            "text2video no longer has (docs/HISTORY.md); load it with an earlier version")
        data.pop("sense", None)  # the coin, the only sense the motion module has
        for key, inert in REMOVED.items():  # options deleted since: fine where they were off
            if key in data and data.pop(key) != inert:
                raise UserError(f"this model was trained with {key}, an option text2video no longer has "
                                f"(docs/HISTORY.md); load it with an earlier version of the package")
        if data.get("design") == "latent" or data.get("path") in ("inside", "sine") or data.get("look") == "polygon":
            raise UserError(f"this model uses design {data.get('design')!r}, path {data.get('path')!r}, look "
                            f"{data.get('look')!r}, which text2video no longer has (docs/HISTORY.md); load it with "
                            "an earlier version")
        return cls(**data)


# What a config that lacks these fields was trained with: the fields came later.
EARLIER = {"look_word_std": 0.3, "path": "free", "centre": False, "look": "conv"}
# Options that were deleted, with the value at which they did nothing.
REMOVED = {"centre_on": "alpha", "sprite_prior": 0.0, "soft_sides": 0.0, "path_words": "all"}
