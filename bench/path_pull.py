"""Which part of the generator's loss pulls a sprite-design run's paths towards the frame's
middle, and which pushes them out, at one training checkpoint.

For n clips of seen prompts it moves every clip's path by a shift and takes the gradient of
each term of the generator's loss with respect to it:
  video   the video discriminator's score (hinge)
  words   its word head (binary cross-entropy on the prompt's words)
  image   the image discriminator's score on 2 frames a clip, the path not detached: what it
          would pull with `image_look=false`, whatever the run used
A term's pull is the descent direction's component along the unit vector from the clip's
midpoint to the frame's middle: > 0 draws the sprite in, < 0 pushes it out. It also prints
where the sprites are: the mean |midpoint| and travel (half-sides) and the raw midpoint
output of the path head (with `path=inside`, tanh's gradient there is 1 - tanh(raw)^2).

Usage: python bench/path_pull.py --checkpoint RUN/checkpoints/step-N [--n 32] [--seed 0]
"""
import argparse
import json
import tempfile
from pathlib import Path

import torch

from text2video.checkpoint import load_checkpoint
from text2video.errors import UserError
from text2video.models import bag_of_words
from text2video.presets import get_preset, trained_on
from text2video.train import Trainer, TrainConfig, g_loss, word_loss


def restore(checkpoint: Path) -> Trainer:
    """A trainer in the state of a run's checkpoint (generator, discriminators, optimizers)."""
    config = json.loads((checkpoint / "config.json").read_text())
    cfg = TrainConfig.from_json(config["train"])
    if cfg.model.design != "sprite":
        raise UserError(f"path pull needs the sprite design; this run is {cfg.model.design!r}")
    name, split = trained_on(config)
    if split is not None and split != get_preset(name).holdout:
        raise UserError(f"path pull draws prompts of preset {name!r}'s own split; this run held out {split.to_json()}")
    trainer = Trainer(cfg, name, tempfile.mkdtemp(), seed=config["seed"])
    load_checkpoint(checkpoint, trainer.models, trainer.critics, trainer.optimizers)
    return trainer


def pulls(trainer: Trainer, n: int) -> dict:
    _, prompts, _ = trainer.real.batch(n)
    ids = trainer.vocab.batch(prompts)
    bag = bag_of_words(ids, len(trainer.vocab))
    G = trainer.G  # the live generator: the one these gradients train
    with torch.no_grad():
        z = torch.randn(n, *G.noise_shape)
        sprite, path = G.parts(z, ids)
        raw = G.path(torch.cat([z, G.path_text(ids)], 1))[:, :2]
    middle = path.mean(1)  # (B, 2)
    inward = -middle / middle.norm(dim=1, keepdim=True).clamp(min=1e-6)
    out = {"|midpoint|": middle.abs().mean().item(), "travel": (path[:, -1] - path[:, 0]).norm(dim=1).mean().item(),
           "raw midpoint": raw.abs().mean().item()}
    for term in ("video", "words", "image"):
        shift = torch.zeros(n, 1, 2, requires_grad=True)
        video = G.render(sprite, path + shift)  # (B, 3, T, H, W)
        if term == "video":
            loss = g_loss(trainer.cfg.loss, trainer.Dv(trainer.at_core(video), ids))
        elif term == "words":
            loss = word_loss(1.0, trainer.Dv.words(trainer.Dv.features(trainer.at_core(video))), bag)  # unweighted
        else:
            frames = torch.cat([video[:, :, 0], video[:, :, video.shape[2] // 2]])
            loss = g_loss(trainer.cfg.loss, trainer.Di(frames, torch.cat([ids, ids])))
        grad, = torch.autograd.grad(loss, shift)
        toward = -(grad[:, 0] * inward).sum(1)  # the descent direction along inward
        out[term] = (toward.mean().item(), (toward > 0).float().mean().item())
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, type=Path, help="RUN/checkpoints/step-N")
    p.add_argument("--n", type=int, default=32, help="clips")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not (args.checkpoint / "discriminators.safetensors").exists():
        p.error(f"{args.checkpoint} is not a training checkpoint (RUN/checkpoints/step-N, with its discriminators)")
    torch.manual_seed(args.seed)
    r = pulls(restore(args.checkpoint), args.n)
    for term in ("video", "words", "image"):
        pull, share = r[term]
        print(f"{term:6s} pull to the middle {pull:+.4f}   clips pulled in {100 * share:3.0f}%")
    print(f"|midpoint|: {r['|midpoint|']:.2f} travel: {r['travel']:.2f} raw midpoint: {r['raw midpoint']:.2f}")


if __name__ == "__main__":
    main()
