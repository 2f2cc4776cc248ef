"""What the video discriminator can see of the look: its word head's accuracy per attribute.

The word head (AC-GAN style) names a clip's words; the generator is trained to make clips
whose words it names right. For each attribute of the run's preset, this counts how often the
head ranks the asked value first among that attribute's words, on real training clips and on
the run's generated clips. An attribute the head names at chance on real clips is one no
text-reading judge of the recipe can see, so nothing teaches it to the generator.

Usage: python bench/judge_words.py --run RUN_DIR [--n 256] [--seed 0]
(a training run: its checkpoints hold the discriminators; a shipped model does not.)
The last line is `real: ATTR X% ...` for the real clips.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from text2video import checkpoint as ckpt
from text2video.data import RealClips
from text2video.models import ModelConfig, VideoDiscriminator, downsample
from text2video.presets import trained_on
from text2video.sample import load
from text2video.synth import VideoConfig, attributes_for


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


@torch.no_grad()
def word_logits(D: VideoDiscriminator, videos: torch.Tensor, core: int) -> torch.Tensor:
    return D.words(D.features(downsample(videos, videos.shape[-1] // core)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a training run directory (its latest checkpoint is read)")
    p.add_argument("--n", type=int, default=256, help="clips of each kind")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    directory = ckpt.model_dir(args.run)
    config = json.loads((directory / "config.json").read_text())
    model = load(directory)
    cfg = ModelConfig.from_json(config["model"])
    D = VideoDiscriminator(cfg, len(model.vocab)).eval()
    ckpt.load_weights(Path(directory) / "discriminators.safetensors", {"video_d": D})
    preset, split = trained_on(config)
    video = VideoConfig.from_json(config["video"])
    real = RealClips(preset, video, split, np.random.default_rng(args.seed))
    videos, prompts, _ = real.batch(args.n)
    rows = {"real": accuracy(word_logits(D, videos, cfg.core), model.vocab, prompts, real.preset)}
    with torch.no_grad():
        noise = torch.randn(args.n, *model.G.noise_shape, generator=torch.Generator().manual_seed(args.seed))
        fake = model.G(noise, model.vocab.batch(prompts))
    rows["generated"] = accuracy(word_logits(D, fake, cfg.core), model.vocab, prompts, real.preset)
    print(f"{directory}: the video discriminator's word head, {args.n} clips of each kind")
    for name in ("generated", "real"):
        print(f"{name}: " + " ".join(f"{a} {v:.1f}%" for a, v in rows[name].items()))


if __name__ == "__main__":
    main()
