"""What the discriminators can see of the look: their word heads' accuracy per attribute.

A word head (AC-GAN style) names a clip's words; the generator is trained to make clips whose
words it names right. The video discriminator's sees clips; with `image_words` the image
discriminator's sees single frames, and with `window_words` the window discriminator's sees a
window centred on the object. For each attribute of the run's preset, this counts how often a
head ranks the asked value first among that attribute's words, on real training clips and on
the run's generated clips (frames: the middle one of each clip). An attribute a head names at
chance on real clips is one that judge cannot see, so it teaches it nothing.

Usage: python bench/judge_words.py --run RUN_DIR [--n 256] [--seed 0]
(a training run: its checkpoints hold the discriminators; a shipped model does not.)
The last line is `real: ATTR X% ...` for the real clips and the last head.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from text2video import checkpoint as ckpt
from text2video.data import RealClips
from text2video.models import ImageDiscriminator, ModelConfig, VideoDiscriminator, centred_crops, downsample
from text2video.presets import trained_on
from text2video.sample import load
from text2video.synth import VideoConfig, attributes_for
from text2video.train import TrainConfig


def accuracy(logits: torch.Tensor, vocab, prompts: list[str], preset) -> dict[str, float]:
    """Attribute -> % of clips whose asked value has the highest word logit among the preset's values."""
    out = {}
    for attribute in ("shape", "colour", "size"):  # one word per value; the look, which single frames show
        values = getattr(preset, attribute + "s")  # shapes, colours, sizes
        if attribute not in preset.said or len(values) < 2:
            continue  # a word the prompts never say, or one value only: nothing to tell apart
        columns = [vocab.index(v) for v in values]
        asked = np.array([values.index(getattr(attributes_for(p), attribute)) for p in prompts])
        out[attribute] = 100 * float(np.mean(logits[:, columns].argmax(1).numpy() == asked))
    return out


def heads(config: dict, vocab_size: int, side: int) -> dict:
    """The run's discriminators that have a word head: name -> (module, what it sees: a function
    of (B, 3, T, H, W) clips in [-1, 1] at full size)."""
    train = TrainConfig.from_json(config["train"]) if "train" in config else None
    cfg = ModelConfig.from_json(config["model"])
    middle = lambda v: v[:, :, v.shape[2] // 2]  # noqa: E731  (B, 3, H, W)
    out = {"video": (VideoDiscriminator(cfg, vocab_size), lambda v: downsample(v, v.shape[-1] // cfg.core))}
    if train and train.image_words:
        frames = middle if side == cfg.size else lambda v: downsample(middle(v), v.shape[-1] // cfg.core)  # noqa: E731
        out["image"] = (ImageDiscriminator(cfg, side, vocab_size, project=train.image_text, words=True), frames)
    if train and train.window_words:
        out["window"] = (ImageDiscriminator(cfg, train.window, vocab_size, project=train.window_text, words=True),
                         lambda v: centred_crops(middle(v), train.window))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a training run directory (its latest checkpoint is read)")
    p.add_argument("--n", type=int, default=256, help="clips of each kind")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    directory = ckpt.model_dir(args.run)
    config = json.loads((directory / "config.json").read_text())
    model = load(directory)
    judges = heads(config, len(model.vocab), model.G.side)
    ckpt.load_weights(Path(directory) / "discriminators.safetensors",
                      {f"{name}_d": D.eval() for name, (D, _) in judges.items()})
    preset, split = trained_on(config)
    video = VideoConfig.from_json(config["video"])
    real = RealClips(preset, video, split, np.random.default_rng(args.seed))
    videos, prompts, _ = real.batch(args.n)
    with torch.no_grad():
        noise = torch.randn(args.n, *model.G.noise_shape, generator=torch.Generator().manual_seed(args.seed))
        fake = model.G(noise, model.vocab.batch(prompts))
        print(f"{directory}: the discriminators' word heads, {args.n} clips of each kind")
        for name, (D, sees) in judges.items():
            for kind, clips in (("generated", fake), ("real", videos)):
                rows = accuracy(D.words(D.features(sees(clips))), model.vocab, prompts, real.preset)
                print(f"{name} head, {kind}: " + " ".join(f"{a} {v:.1f}%" for a, v in rows.items()))
    print("real: " + " ".join(f"{a} {v:.1f}%" for a, v in rows.items()))


if __name__ == "__main__":
    main()
