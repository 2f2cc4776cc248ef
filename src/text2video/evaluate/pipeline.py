"""The evaluation run: prompts in, report out, for clips from any source.

A source is a callable `generate(prompts, n, seed) -> uint8 (len(prompts) * n, T, H, W, 3)`,
each prompt's n clips in a row, in prompt order; `real_generator` renders real clips that way,
a trained model's `generate` is used as it is. Each clip is judged by `analytic`, named by the
`classifier`, and compared with real clips of the same prompt (`diversity`, Fréchet distance).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..data import ClipSource
from ..errors import UserError
from ..presets import Preset, Split
from ..grammar import tokenize
from ..synth import ATTRIBUTES, Attributes, VideoConfig, parse_prompt
from . import analytic, classifier, diversity

Generate = Callable[[list, int, int], np.ndarray]
CHUNK_PROMPTS = 8  # prompts generated and judged at once: bounds memory for `--prompts all`
EXAMPLES = 64  # first clip of this many prompts is kept for the figure


@dataclass(frozen=True)
class Case:
    """One prompt to evaluate: its canonical text, the combination it names, its group."""

    prompt: str
    attributes: Attributes
    heldout: bool


def resolve_prompts(preset: Preset, prompts: list[str] | None, split: Split | None = None,
                    max_prompts: int = 16, seed: int = 0) -> list[Case]:
    """The cases to evaluate. Given prompts must each name exactly one combination of the
    preset; without them, every prompt of the preset, or, past max_prompts (0: no limit), a
    fixed sample of half seen and half held-out prompts."""
    split = split or preset.holdout
    train, held = preset.partition(split)
    cases = [Case(p, a, a in held) for a in train + held for p in preset.prompts(a)]
    if prompts is None:
        if 0 < max_prompts < len(cases):
            rng = np.random.default_rng(seed)
            seen, unseen = [c for c in cases if not c.heldout], [c for c in cases if c.heldout]
            k = min(len(unseen), max_prompts // 2)
            cases = [seen[i] for i in rng.choice(len(seen), max_prompts - k, replace=False)]
            cases += [unseen[i] for i in rng.choice(len(unseen), k, replace=False)]
        return sorted(cases, key=lambda c: (c.heldout, c.prompt))
    if not prompts:
        raise UserError("--prompts needs at least one prompt")
    chosen = []
    for text in dict.fromkeys(prompts):
        said = set(parse_prompt(text).items())
        exact = [c for c in cases if tokenize(c.prompt) == tokenize(text)]  # the phrasing asked, if the preset has it
        match = exact or list({c.attributes: c for c in reversed(cases)
                               if set(parse_prompt(c.prompt).items()) <= said <= set(c.attributes.to_json().items())}.values())
        if len(match) != 1:
            raise UserError(
                f"prompt {text!r} is not a prompt of preset {preset.name!r}, whose prompts say "
                f"{', '.join(preset.said)}; e.g. {cases[0].prompt!r}"
            )
        chosen.append(match[0])
    return chosen


def real_generator(preset: Preset, video: VideoConfig = VideoConfig(), split: Split | None = None) -> Generate:
    """A source of real clips with a model's interface: rendered from each prompt's combination."""
    source = ClipSource(preset, "all", video, split)

    def generate(prompts: list[str], n: int, seed: int) -> np.ndarray:
        cases = resolve_prompts(preset, prompts, split)
        attributes = [c.attributes for c in cases for _ in range(n)]
        return source.sample(len(attributes), np.random.default_rng(seed), attributes)[0]

    return generate


def evaluate_clips(videos: np.ndarray, attributes: list[Attributes], video: VideoConfig = VideoConfig()) -> analytic.Verdicts:
    """Analytic verdicts on clips (N, T, H, W, 3) that should show the given attributes."""
    return analytic.score(videos, attributes, video.background)


@dataclass
class Evaluation:
    """A finished evaluation: the JSON-ready report, and example clips for the figure."""

    report: dict
    examples: list[tuple[str, bool, np.ndarray]] = field(default_factory=list)  # prompt, correct, (T, H, W, 3)


def _checked(videos, n_prompts: int, n: int, video: VideoConfig) -> np.ndarray:
    if hasattr(videos, "detach"):
        videos = videos.detach().cpu().numpy()
    videos = np.asarray(videos)
    want = (n_prompts * n, video.frames, video.height, video.width, 3)
    if videos.dtype != np.uint8 or videos.shape != want:
        raise UserError(f"the generator returned {videos.dtype} {videos.shape}; the evaluator needs uint8 {want}")
    return videos


@classifier.one_thread()  # see there: measured faster on a shared 2-core machine
def evaluate(
    generate: Generate,
    preset: Preset,
    prompts: list[str] | None = None,
    n: int = 64,
    seed: int = 0,
    video: VideoConfig = VideoConfig(),
    split: Split | None = None,
    max_prompts: int = 16,
    judge: classifier.ClassifierConfig | None = classifier.ClassifierConfig(),
    cache_dir: str | Path = classifier.DEFAULT_CACHE,
    progress: bool = True,
) -> Evaluation:
    """Evaluate n clips per prompt from `generate`; judge=None skips the learned classifier."""
    from tqdm.auto import tqdm

    from .report import summarise

    if n <= 0:
        raise UserError(f"--n must be a positive number of clips per prompt, got {n}")
    cases = resolve_prompts(preset, prompts, split, max_prompts, seed)
    net, meta = classifier.load_or_train(preset, video, cache_dir, judge, progress) if judge else (None, None)
    start = time.perf_counter()
    reference = ClipSource(preset, "all", video, split)
    ref_rng = np.random.default_rng([seed, 1])  # never the stream a real generator uses
    clips: dict[str, list] = {"verdicts": [], "hits": [], "features": [], "real_features": []}
    rows, examples = [], []
    for lo in tqdm(range(0, len(cases), CHUNK_PROMPTS), desc="evaluating", disable=not progress):
        chunk = cases[lo : lo + CHUNK_PROMPTS]
        videos = _checked(generate([c.prompt for c in chunk], n, seed + lo), len(chunk), n, video)
        attributes = [c.attributes for c in chunk for _ in range(n)]
        real, batch = reference.sample(len(attributes), ref_rng, attributes)
        verdicts = analytic.score(videos, attributes, video.background)
        clips["verdicts"].append(verdicts)
        if net is not None:
            feats, names = classifier.predict(net, videos)
            clips["features"].append(feats)
            clips["real_features"].append(classifier.predict(net, real)[0])
            clips["hits"].append({a: names[a] == np.array([getattr(x, a) for x in attributes]) for a in ATTRIBUTES})
        m = verdicts.measurements
        starts = np.stack([m["start_x"], m["start_y"]], 1)
        for i, case in enumerate(chunk):
            part = slice(i * n, (i + 1) * n)
            rows.append(diversity.diversity(videos[part], starts[part], real[part], batch.start[part]))
            if len(examples) < EXAMPLES:
                examples.append((case.prompt, bool(verdicts.correct[i * n]), videos[i * n].copy()))
    report = summarise(cases, n, clips, rows, meta)
    report.update(
        preset=preset.name,
        split=(split or preset.holdout).to_json(),
        video=video.to_json(),
        seed=seed,
        seconds=round(time.perf_counter() - start, 2),
    )
    return Evaluation(report, examples)
