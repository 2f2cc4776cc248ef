"""ModelConfig: the networks' sizes and the sprite design's options, with the names of what each
option may be; a config saved before an option existed loads with what it was trained with."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import UserError


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
    # >0, with look="polygon": the sides' gradient is a soft minimum's over them (log-sum-exp at
    # this many pixels), so a side that lies outside the polygon, and draws no edge, still learns;
    # the drawing stays the hard minimum's. 0: only the side nearest a pixel learns from it.
    soft_sides: float = 0.0

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
        if self.soft_sides < 0 or (self.soft_sides and self.look != "polygon"):
            raise UserError(f"soft_sides is a temperature in pixels >= 0 for the polygon look's sides; got "
                            f"soft_sides={self.soft_sides} with look={self.look}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        return cls(**{**EARLIER, **data})


# What a config that lacks these fields was trained with: the fields came later.
EARLIER = {"look_word_std": 0.3, "path": "free", "centre": False, "centre_on": "alpha", "sprite_prior": 0.0,
           "look": "conv", "soft_sides": 0.0}
