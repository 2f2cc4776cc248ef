"""Training configs: TrainConfig (a dataclass holding the model's ModelConfig), the named
presets, and the `--set KEY=VALUE` settings the CLI and notebooks build them with."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..errors import UserError
from ..models import ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    """The `cpu` recipe: the sprite design, each of its parts taught by the discriminator that judges
    it (the look by still frames, the path by clips), Adam at 4e-4 (docs/HISTORY.md: how)."""

    name: str = "cpu"
    model: ModelConfig = field(default_factory=ModelConfig)
    batch_size: int = 32
    lr: float = 4e-4
    betas: tuple[float, float] = (0.5, 0.99)
    loss: str = "hinge"  # or "bce" (the tutorial's)
    image_frames: int = 2  # frames per clip shown to the image discriminator
    image_text: bool = False  # it also reads the prompt (projection): shape, colour, size per prompt
    image_words: float = 0.0  # weight of its word-naming head (AC-GAN style, as `words` for the video D)
    # with image_text: (real frame, wrong prompt) pairs are fakes for it too, where the wrong prompt
    # asks another look (shape, colour or size; a frame cannot show another direction)
    image_mismatch: bool = False
    # the image discriminator's gradient reaches the sprite only: its frames are drawn again with
    # the path detached; else a sprite that looked wrong was moved off the frame instead of fixed
    image_look: bool = True
    # the video discriminator's gradient reaches the path only: its clips are drawn with the sprite
    # detached, so it cannot make the look dark, faint or hazy to hide it
    video_path: bool = True
    # with image_look: its still frames put the sprite where the real frames beside them put their
    # objects, not on the generator's path, so where a sprite is tells it nothing
    look_at_real: bool = True
    # the path learns from this step on; before it the sprite learns alone, so that no discriminator
    # moves a sprite that still looks wrong out of sight
    path_after: int = 100
    # >0: a window discriminator judges a window this wide centred on the object, in the same
    # frames; its gradient reaches the sprite, not the path
    window: int = 0
    # weight of the window discriminator's word-naming head: it names the words from the object
    # seen at full size, where a triangle and a square differ by pixels
    window_words: float = 0.0
    # weight of its realism score; 0 with window_words: an auxiliary classifier of the object's words
    window_real: float = 1.0
    # >0: a second video discriminator judges clips of windows this wide that follow the object at
    # full size, where a turn shows (at the core side a rotating circle's mark is a pixel)
    video_window: int = 0
    # weight of the words look's convexity prior (WordLook.dents): the data's shapes are all convex
    look_convex: float = 0.0
    # weight of the motion module's prior (MotionNet.cost): swing, turn, growth and bounce stay at
    # none where no discriminator asks for them
    motion_prior: float = 0.0
    mismatch: bool = True  # (real clip, wrong prompt) pairs count as fakes
    # share of those wrong prompts that differ from the clip's in one attribute where a training prompt
    # does ("counter-clockwise" for "clockwise"): without them no discriminator told the senses apart
    near_miss: float = 0.0
    words: float = 1.0  # weight of the word-naming head of the video discriminator (AC-GAN style)
    ema: float = 0.995  # ship a moving average of the generator; 0: the live one
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
        for option in ("window", "video_window"):
            side = getattr(self, option)
            if side and not (8 <= side <= self.model.size and side & (side - 1) == 0):
                raise UserError(f"{option} must be 0 or a power of two from 8 to the frame size {self.model.size}, "
                                f"got {side}")
        if self.window_words < 0 or (self.window_words and not self.window):
            raise UserError(f"window_words weighs the window discriminator's word head: a weight >= 0, with "
                            f"window > 0; got window_words={self.window_words}, window={self.window}")
        if self.window_real < 0 or (self.window and not (self.window_real or self.window_words)):
            raise UserError(f"window_real weighs the window discriminator's realism score: >= 0, and > 0 unless "
                            f"window_words is; got window_real={self.window_real}, window_words={self.window_words}")
        for option, off in (("window", 0), ("video_window", 0), ("image_look", False), ("video_path", False),
                            ("path_after", 0)):
            if getattr(self, option) != off and self.model.design != "sprite":
                raise UserError(f"{option} needs the sprite design, whose path can be held apart from its look; "
                                f"got design {self.model.design!r}: set {option}={str(off).lower()}")
        for option in ("video_path", "look_at_real"):
            if getattr(self, option) and not self.image_look:
                raise UserError(f"{option} works on the image discriminator's still frames: set image_look=true with it")
        if self.image_mismatch and not self.image_text:
            raise UserError("image_mismatch pairs frames with wrong prompts, which only a discriminator that reads "
                            "the prompt can judge: set image_text=true with it")
        if self.look_convex < 0 or (self.look_convex and self.model.look != "words"):
            raise UserError(f"look_convex weighs the words look's convexity prior: >= 0, with look=words; got "
                            f"look_convex={self.look_convex}, look={self.model.look!r}")
        if self.path_after < 0:
            raise UserError(f"path_after must be a step number >= 0, got {self.path_after}")
        if self.window and not self.image_frames:
            raise UserError("window judges the frames picked for the image discriminator: image_frames must be > 0")
        if self.image_look and not self.image_frames:
            raise UserError("image_look teaches the look through the image discriminator's frames: image_frames "
                            "must be > 0, or set image_look=false")

    def to_json(self) -> dict:
        return {**asdict(self), "model": self.model.to_json()}  # the model's as it saves itself: from_json reads it

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        """A run's saved config; options deleted since are dropped where they were off."""
        data = dict(data)
        data.pop("r1_every", None)  # meant nothing without r1
        for key, inert in REMOVED.items():
            if key in data and data.pop(key) != inert:
                raise UserError(f"this run was trained with {key}, an option text2video no longer has "
                                "(docs/HISTORY.md)")
        data["model"] = ModelConfig.from_json(data["model"])
        data["betas"] = tuple(data["betas"])
        return cls(**data)


# Deleted options, with the value at which they did nothing (docs/HISTORY.md: what each taught).
REMOVED = {"image_path": False, "window_text": False, "diversity": 0.0, "r1": 0.0, "d_lr_scale": 1.0,
           "path_lr_scale": 1.0}


CPU = TrainConfig()
# model/shapes: the words look, convex, on the motion module's line (the fold path's MLP missed
# speeds); a prompt-reading image discriminator whose word head pulls each colour to its word from
# the first steps (at 1, a colour could settle on another word's), a convexity prior as strong
# (at 1 against it, a triangle grew a spike), a window word head
SHAPES = replace(CPU, name="shapes", model=replace(CPU.model, look="words", path="line"), image_text=True,
                 image_words=10.0, image_mismatch=True, window=16, window_words=1.0, look_convex=10.0)
# model/patterns: a pose per frame from the motion module, the words look with a mark (a conv look
# drew the mark faint or not at all, and lost its shape as it grew), the image discriminator
# reading the prompt, windows that follow the object judging its turn and growth, near-miss wrong
# prompts, a window word head on still frames
PATTERNS = replace(CPU, name="patterns", model=replace(CPU.model, path="motion", look="words", mark=True),
                   image_text=True, video_window=16,
                   motion_prior=0.05, near_miss=0.5, window=16, window_words=1.0, window_real=0.0)
PRESET_CONFIGS = {
    "cpu": CPU,  # model/circles
    "patterns": PATTERNS,
    "shapes": SHAPES,
    "gpu": replace(CPU, name="gpu", model=replace(CPU.model, core=64, g_channels=256, d_channels=32), batch_size=64,
                   checkpoint_every=1000, sample_every=1000),
    # 128x128 frames: the sprite (48 px) is drawn and its frames judged at 128, clips at 64
    "gpu128": replace(CPU, name="gpu128", model=replace(CPU.model, size=128, core=64, g_channels=256, d_channels=32),
                      batch_size=64, checkpoint_every=1000, sample_every=1000),
    # the tutorial's design: a per-frame DCGAN with a fixed text embedding, BCE, Adam 2e-4
    "tutorial": TrainConfig(name="tutorial", model=ModelConfig(design="tutorial"), lr=2e-4, betas=(0.5, 0.999),
                            loss="bce", image_frames=4, image_look=False, video_path=False, look_at_real=False,
                            path_after=0, mismatch=False, ema=0.0),
    "tiny": replace(CPU, name="tiny", model=replace(CPU.model, frames=4, size=16, core=8, hidden=32, g_channels=32,
                                                     d_channels=8, up_channels=8),
                    batch_size=4, checkpoint_every=5, sample_every=5, log_every=1),
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
    for get_config: `--set window=16 --set g_channels=128`."""
    defaults = {**asdict(ModelConfig()), **asdict(TrainConfig())}  # fields only: to_json adds marks
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
