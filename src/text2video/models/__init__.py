"""The networks: a text-to-video Generator, video and image Discriminators, a learned 2x
upsampler, and the tutorial's per-frame design kept as a baseline.

The Generator moves a latent point along a straight line, h_t = h0 + t v, with h0 from
(content noise, text) and the velocity v from (motion noise, text), and decodes every h_t into a
frame: a temporal structure that can say "moves steadily in a direction" by construction.
All normalisation is per sample (GroupNorm), so a clip does not depend on its batch or mode.
One module per part: `config`, `generators`, `discriminators`, `upsample`.
"""
from .config import CENTRES, DESIGNS, EARLIER, FACETS, INSIDE, LOOKS, PATHS, PRIOR_RADIUS, ModelConfig
from .discriminators import (ConvTower, ImageDiscriminator, VideoDiscriminator, bag_of_words, batch_spread,
                             centred_crops, down, frame_centres)
from .generators import (BOUNDS, Generator, SpriteGenerator, TutorialGenerator, UpBlock, fold, make_generator, mlp,
                         pixel_centres, with_coords)
from .upsample import Upsampler, downsample

__all__ = [
    "BOUNDS", "CENTRES", "DESIGNS", "EARLIER", "FACETS", "INSIDE", "LOOKS", "PATHS", "PRIOR_RADIUS", "ConvTower",
    "Generator", "ImageDiscriminator", "ModelConfig", "SpriteGenerator", "TutorialGenerator", "UpBlock", "Upsampler",
    "VideoDiscriminator", "bag_of_words", "batch_spread", "centred_crops", "down", "downsample", "fold",
    "frame_centres", "make_generator", "mlp", "pixel_centres", "with_coords",
]
