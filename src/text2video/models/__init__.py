"""The networks: the text-to-video generator, video and image discriminators, a learned 2x
upsampler, and the tutorial's per-frame design kept as a baseline.

The SpritePathGenerator draws what and where apart: a sprite (RGBA, or a polygon) from
(content noise, text) once per clip, drawn in every frame along a straight path or at a pose per
frame (place, scale, angle) from the motion module (`motion`: motion noise, text). All
normalisation is per sample (GroupNorm), so a clip does not depend on its batch or mode. One
module per part: `config`, `generators`, `motion`, `discriminators`, `upsample`.
"""
from .config import DESIGNS, EARLIER, FACETS, LOOKS, PATHS, REMOVED, ModelConfig
from .discriminators import (ConvTower, ImageDiscriminator, VideoDiscriminator, bag_of_words, batch_spread,
                             centred_clips, centred_crops, down, frame_centres)
from .generators import (INSIDE, SpritePathGenerator, TutorialGenerator, UpBlock, fold, make_generator, mlp,
                         pixel_centres, with_coords)
from .upsample import Upsampler, downsample

__all__ = [
    "DESIGNS", "EARLIER", "FACETS", "INSIDE", "LOOKS", "PATHS", "REMOVED", "ConvTower", "ImageDiscriminator",
    "ModelConfig", "SpritePathGenerator", "TutorialGenerator", "UpBlock", "Upsampler", "VideoDiscriminator",
    "bag_of_words", "batch_spread", "centred_clips", "centred_crops", "down", "downsample", "fold", "frame_centres",
    "make_generator", "mlp", "pixel_centres", "with_coords",
]
