"""The README gallery: one GIF per prompt of a model's preset (for model/circles, the 8
directions, the held-out one marked) and a grid of the held-out prompt for the README's top.

Usage: python docs/make_gallery.py [--model model/circles] [--out docs/gallery] [--seed 0]
Each GIF is clip 0 of its prompt for the seed: nothing is picked by hand. Run it again
(`make gallery`) whenever the shipped model changes; it prints the HTML table the README shows.
"""
import argparse
from pathlib import Path

import text2video
from text2video.data import ClipSource
from text2video.presets import Split, get_preset
from text2video.video_io import grid, save_video, upscale

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = 4


def file_name(prompt: str) -> str:
    return prompt.replace(" ", "_") + ".gif"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "model" / "circles"))
    p.add_argument("--out", default=str(ROOT / "docs" / "gallery"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=2)
    args = p.parse_args()

    model = text2video.load(args.model)
    preset, split = get_preset(model.config["preset"]["name"]), Split.from_json(model.config["split"])
    prompts = ClipSource(preset, "all", split=split).prompts
    heldout = ClipSource(preset, "heldout", split=split).prompts
    out = Path(args.out)
    for prompt, clip in zip(prompts, model.generate(prompts, n=1, seed=args.seed)):
        save_video(out / file_name(prompt), upscale(clip, args.scale))
    hero = save_video(out / "heldout_grid.gif", upscale(grid(model.generate(heldout[0], n=4, seed=args.seed), columns=4),
                                                         args.scale))

    relative = out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out
    cells = [f'<td align="center"><img src="{relative / file_name(p)}" alt="{p}"><br>'
             f'{f"<b>{p}</b> (held out)" if p in heldout else p}</td>' for p in prompts]
    rows = ["<tr>" + "".join(cells[i:i + COLUMNS]) + "</tr>" for i in range(0, len(cells), COLUMNS)]
    print("<table>\n" + "\n".join(rows) + "\n</table>")
    print(f"wrote {len(prompts)} GIFs and {hero.name} to {out}")


if __name__ == "__main__":
    main()
