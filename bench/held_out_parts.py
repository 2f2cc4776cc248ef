"""Where a model's held-out clips go wrong: in the look (the sprite) or in the path.

The sprite design draws what and where apart, so each held-out clip can be drawn again with
one part taken from a seen prompt, from the same noise, and scored against the held-out prompt:
  own        look and path from the held-out prompt (the clips `evaluate` scores)
  seen look  the look from a seen prompt of the same shape, colour and size
  seen path  the path from a seen prompt of the same direction and speed
A held-out score far below its `seen look` score means the look fails on the new combination.

Usage: python bench/held_out_parts.py --model DIR [--n 64] [--seed 0]
The last line is `own: X% seen-look: Y% seen-path: Z%` over every held-out prompt.
"""
import argparse
from collections import Counter

import numpy as np
import torch

from text2video import load
from text2video.errors import UserError
from text2video.evaluate.analytic import score
from text2video.presets import Split, get_preset, trained_on
from text2video.data import to_uint8
from text2video.sample import clip_noise

LOOK, PATH = ("shape", "colour", "size"), ("direction", "speed")


def donor(held, seen: list, keep: tuple[str, ...]):
    """The first seen combination equal to `held` on the attributes in keep, or None."""
    want = {k: getattr(held, k) for k in keep}
    return next((a for a in seen if all(getattr(a, k) == v for k, v in want.items())), None)


@torch.no_grad()
def draw(model, look: str, path: str, n: int, seed: int) -> np.ndarray:
    """n clips (uint8, as `generate`) with the look of prompt `look` moved along the path of prompt `path`."""
    G = model.G
    if not hasattr(G, "parts"):
        raise UserError(f"held-out parts need the sprite design; this model is {model.cfg.design!r}")
    z = torch.stack([clip_noise(tuple(G.noise_shape), seed, j) for j in range(n)]).to(model.device)
    sprite, _ = G.parts(z, model.vocab.batch([look] * n).to(model.device))
    _, moves = G.parts(z, model.vocab.batch([path] * n).to(model.device))
    return to_uint8(G.render(sprite, moves))


def parts_scores(model, preset, split: Split | None, n: int, seed: int) -> list[dict]:
    """Per held-out combination: (% correct, main failure) of its clips drawn three ways."""
    seen, held = preset.partition(split)
    rows = []
    for attrs in held:
        prompt = preset.prompt(attrs)
        row = {"prompt": prompt}
        for name, keep, swap in (("own", None, None), ("seen look", LOOK, 0), ("seen path", PATH, 1)):
            prompts = [prompt, prompt]
            if keep:
                other = donor(attrs, seen, keep)
                if other is None:
                    row[name] = (float("nan"), "no seen donor")
                    continue
                prompts[swap] = preset.prompt(other)
            verdicts = score(draw(model, *prompts, n, seed), [attrs] * n)
            failures = Counter(r for r in verdicts.reasons if r)
            row[name] = (100 * verdicts.correct.mean(), failures.most_common(1)[0][0] if failures else "")
        rows.append(row)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a model or run directory")
    p.add_argument("--n", type=int, default=64, help="clips per held-out prompt")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    model = load(args.model)
    name, split = trained_on(model.config)
    preset = get_preset(name or "circles")
    rows = parts_scores(model, preset, split, args.n, args.seed)
    columns = ("own", "seen look", "seen path")
    percent = lambda x: "-" if np.isnan(x) else f"{x:.1f}%"  # noqa: E731
    print(f"{'held-out prompt':40} " + " ".join(f"{c:>24}" for c in columns))
    for row in rows:
        print(f"{row['prompt']:40} " + " ".join(f"{percent(row[c][0]):>7} {row[c][1]:>16}" for c in columns))
    mean = {c: [row[c][0] for row in rows if not np.isnan(row[c][0])] for c in columns}
    mean = {c: np.mean(v) if v else float("nan") for c, v in mean.items()}
    print(f"own: {percent(mean['own'])} seen-look: {percent(mean['seen look'])} seen-path: {percent(mean['seen path'])}")


if __name__ == "__main__":
    main()
