"""Training configs: TrainConfig (a dataclass holding the model's ModelConfig), the named
presets, and the `--set KEY=VALUE` settings the CLI and notebooks build them with."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..errors import UserError
from ..models import ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    name: str = "cpu"
    model: ModelConfig = field(default_factory=ModelConfig)
    batch_size: int = 32
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.99)
    loss: str = "hinge"  # or "bce" (the tutorial's)
    image_frames: int = 2  # frames per clip shown to the image discriminator
    image_text: bool = False  # it also reads the prompt (projection): shape, colour, size per prompt
    image_words: float = 0.0  # weight of its word-naming head (AC-GAN style, as `words` for the video D)
    # with image_text: (real frame, wrong prompt) pairs count as fakes for it too, where the wrong
    # prompt asks another look (shape, colour or size; a frame cannot show another direction)
    image_mismatch: bool = False
    # the image discriminator's gradient reaches the sprite only: its frames are drawn again with
    # the path detached, as the window discriminator's are (sprite design); else a sprite that
    # looked wrong was moved off the frame by it instead of being fixed (README: why)
    image_look: bool = False
    # the video discriminator's gradient reaches the path only: its clips are drawn with the sprite
    # detached, so the look is taught by the image discriminator alone and the video
    # discriminator cannot make it dark, faint or hazy to hide it (sprite design; README: why)
    video_path: bool = False
    # with image_look: its still frames put the sprite where real frames (those it is shown beside)
    # put their objects, not on the generator's path, so where a sprite is tells it nothing
    look_at_real: bool = False
    # with video_path: the image discriminator also judges where the generator puts its objects,
    # in frames of the clips (sprite detached), and its gradient there reaches the path only; with
    # look_at_real it is shown those frames as a second kind of fake
    image_path: bool = False
    # the generator's path learns from this step on; before it, the sprite learns alone, so that no
    # discriminator can move a sprite that still looks wrong out of sight (sprite design)
    path_after: int = 0
    # >0: a window discriminator judges a window this wide centred on the object, in the same frames;
    # its gradient reaches the sprite, not the path (README: why)
    window: int = 0
    window_text: bool = False  # the window discriminator also reads the prompt (projection)
    # weight of the window discriminator's word-naming head (AC-GAN style, as image_words): it names
    # the words from the object seen at full size, where a triangle and a square differ by pixels
    window_words: float = 0.0
    # weight of its realism score (hinge or BCE, as the other discriminators'); 0 with window_words:
    # the window judges nothing but which words it shows (an auxiliary classifier on the object)
    window_real: float = 1.0
    mismatch: bool = True  # (real clip, wrong prompt) pairs count as fakes
    diversity: float = 0.0  # weight of the mode-seeking term (MSGAN): different noise, different clip
    words: float = 1.0  # weight of the word-naming head of the video discriminator (AC-GAN style)
    ema: float = 0.995  # ship a moving average of the generator; 0: the live one (README: why)
    # R1 (Mescheder et al. 2018): gamma/2 times the squared gradient of the discriminators' scores
    # at real inputs, every r1_every steps (lazy, as StyleGAN2) and scaled by it; 0: none
    r1: float = 0.0
    r1_every: int = 4
    d_lr_scale: float = 1.0  # the discriminators' learning rate is lr times this
    path_lr_scale: float = 1.0  # the sprite design's path (its MLP and text encoder) learns at lr times this
    upsampler_every: int = 2  # upsampler steps are cheaper than GAN steps; not every step
    checkpoint_every: int = 250
    sample_every: int = 250
    log_every: int = 10

    def __post_init__(self):
        if self.batch_size < 2:
            raise UserError(f"batch size must be at least 2, got {self.batch_size}")
        if not self.lr > 0:
            raise UserError(f"learning rate must be positive, got {self.lr}")
        if self.loss not in ("hinge", "bce"):
            raise UserError(f"loss must be 'hinge' or 'bce', got {self.loss!r}")
        if not 0 <= self.image_frames <= self.model.frames:
            raise UserError(f"image_frames must be between 0 and {self.model.frames}, got {self.image_frames}")
        if self.window and not (8 <= self.window <= self.model.size and self.window & (self.window - 1) == 0):
            raise UserError(f"window must be 0 or a power of two from 8 to the frame size {self.model.size}, "
                            f"got {self.window}")
        if self.window_words < 0 or (self.window_words and not self.window):
            raise UserError(f"window_words weighs the window discriminator's word head: a weight >= 0, with "
                            f"window > 0; got window_words={self.window_words}, window={self.window}")
        if self.window_real < 0 or (self.window and not (self.window_real or self.window_words)):
            raise UserError(f"window_real weighs the window discriminator's realism score: >= 0, and > 0 unless "
                            f"window_words is; got window_real={self.window_real}, window_words={self.window_words}")
        for option, off in (("window", 0), ("image_look", False), ("video_path", False), ("path_after", 0),
                            ("path_lr_scale", 1)):
            if getattr(self, option) != off and self.model.design != "sprite":
                raise UserError(f"{option} needs the sprite design, whose path can be held apart from its look; "
                                f"got design {self.model.design!r}: set {option}={str(off).lower()}")
        for option in ("video_path", "look_at_real"):
            if getattr(self, option) and not self.image_look:
                raise UserError(f"{option} works on the image discriminator's still frames: set image_look=true with it")
        if self.image_mismatch and not self.image_text:
            raise UserError("image_mismatch pairs frames with wrong prompts, which only a discriminator that reads "
                            "the prompt can judge: set image_text=true with it")
        if self.image_path and not self.video_path:
            raise UserError("image_path judges frames of clips whose sprite is detached: set video_path=true with it")
        if self.path_after < 0:
            raise UserError(f"path_after must be a step number >= 0, got {self.path_after}")
        if self.r1 < 0 or self.r1_every < 1:
            raise UserError(f"r1 must be >= 0 and r1_every >= 1, got r1={self.r1}, r1_every={self.r1_every}")
        if not self.d_lr_scale > 0:
            raise UserError(f"d_lr_scale must be positive, got {self.d_lr_scale}")
        if not self.path_lr_scale > 0:
            raise UserError(f"path_lr_scale must be positive, got {self.path_lr_scale}")
        if self.window and not self.image_frames:
            raise UserError("window judges the frames picked for the image discriminator: image_frames must be > 0")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        data["model"] = ModelConfig.from_json(data["model"])
        data["betas"] = tuple(data["betas"])
        return cls(**data)


PRESET_CONFIGS = {
    # the sprite design with each part taught by the discriminator that judges it, at twice Adam's
    # usual 2e-4 (README "The model", Results: 3 seeds of 3 at about 720 steps); the dataclasses'
    # defaults are the previous recipe, which configs written before these fields were trained with
    "cpu": TrainConfig(model=ModelConfig(path="fold", centre=True, look_word_std=0.0), lr=4e-4, image_look=True,
                       video_path=True, look_at_real=True, path_after=100),
    "gpu": TrainConfig(name="gpu", model=ModelConfig(core=64, g_channels=256, d_channels=32), batch_size=64,
                       checkpoint_every=1000, sample_every=1000),
    # 128x128 frames: the sprite (48 px) is drawn and its frames judged at 128, clips at 64
    "gpu128": TrainConfig(name="gpu128", model=ModelConfig(size=128, core=64, g_channels=256, d_channels=32),
                          batch_size=64, checkpoint_every=1000, sample_every=1000),
    "tutorial": TrainConfig(name="tutorial", model=ModelConfig(design="tutorial"), betas=(0.5, 0.999), loss="bce",
                            image_frames=4, mismatch=False, ema=0.0),
    "tiny": TrainConfig(name="tiny", model=ModelConfig(frames=4, size=16, core=8, hidden=32, g_channels=32, d_channels=8,
                                                       up_channels=8), batch_size=4, checkpoint_every=5, sample_every=5,
                        log_every=1),
}


def get_config(name: str, **overrides) -> TrainConfig:
    try:
        base = PRESET_CONFIGS[name]
    except KeyError:
        raise UserError(f"unknown training preset {name!r}; known: {', '.join(PRESET_CONFIGS)}") from None
    model = {k: overrides.pop(k) for k in list(overrides) if k in ModelConfig.__dataclass_fields__}
    return replace(base, model=replace(base.model, **model), **overrides)


def parse_setting(text: str) -> tuple[str, object]:
    """'KEY=VALUE' naming a field of TrainConfig or ModelConfig -> (KEY, VALUE as the field's type),
    for get_config: `--set window_text=true --set g_channels=128`."""
    defaults = {**ModelConfig().to_json(), **TrainConfig().to_json()}
    del defaults["model"], defaults["name"]
    key, sep, value = text.partition("=")
    if not sep or key not in defaults:
        raise UserError(f"--set takes KEY=VALUE, KEY one of: {', '.join(sorted(defaults))}; got {text!r}")
    kind = type(defaults[key])
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return key, value.lower() in ("true", "1")
        if kind is tuple:
            return key, tuple(float(v) for v in value.split(","))
        return key, kind(value)
    except ValueError:
        what = {bool: "true or false", tuple: "comma-separated numbers", int: "an int", float: "a number"}.get(kind, "text")
        raise UserError(f"--set {key}: {value!r} is not {what}") from None
