# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The data
#
# text2video learns from synthetic clips: one anti-aliased shape over a black background,
# 16 frames of 64×64, moving in a straight line or in one of the tutorial's patterns
# (bouncing, zigzagging, rotating, shrinking, expanding), each with the prompt that describes
# it ("circle moving up-right", "circle bouncing vertically"). This notebook writes a small
# dataset with the package, looks at its clips, plays every pattern, and shows which prompts
# each preset keeps out of training, so that a model can be tested on combinations of words
# it never saw together.

# %% tags=["parameters"]
preset = "circles"  # data preset: circles, shapes or patterns
n_clips = 64  # clips written to disk (64 clips of 16x64x64 take 12 MB)
n_show = 4  # clips to look at
seed = 0
out_dir = "../runs/notebook-01/dataset"  # runs/ is not committed

# %%
from collections import Counter

import numpy as np

from text2video.data import ClipSource, VideoDataset, make_dataset
from text2video.notebook import frames_strip, show
from text2video.presets import get_preset
from text2video.synth import VideoConfig, attributes_for, render, sample_clips

# %% [markdown]
# ## A dataset on disk
#
# `make_dataset` is what `python -m text2video make-dataset` runs: uint8 shards of
# (N, T, H, W, 3) plus `manifest.json`, which lists the prompt and attributes of every clip,
# the split and a SHA-256 per shard. `VideoDataset` checks them when it opens the directory.
# Only training combinations are drawn (`split_name="train"`).

# %%
make_dataset(out_dir, preset, n_clips, seed=seed, progress=False)
dataset = VideoDataset(out_dir)
len(dataset), dataset.video

# %% [markdown]
# Prompts are drawn uniformly from the preset's training combinations:

# %%
Counter(dataset.clips["prompt"]).most_common()

# %% [markdown]
# ## What a clip looks like
#
# Every clip starts at a random position chosen so that the whole path stays inside the
# frame, and moves at a random speed inside its band. Frames of the first clips (`t` is the
# frame index):

# %%
first = np.stack([dataset.clip(i) for i in range(n_show)])
frames_strip(first, dataset.clips["prompt"][:n_show], frames=8)

# %% [markdown]
# The same clips, playing (2× nearest-neighbour upscaling):

# %%
show(first, dataset.clips["prompt"][:n_show])

# %% [markdown]
# ## Every pattern
#
# Besides straight lines, the grammar has the tutorial's patterns, each a function in
# `text2video.motion`: a bounce turns where the shape meets the frame's edge; a zigzag
# progresses along its axis while swinging across it; a turn is steady, half a turn to a whole
# one (a circle carries a dark spot, or its turn would not show); shrinking and expanding
# change the area at least 2.5 times. `sample_clips` draws them like straight clips: seeded,
# random start and phase, always inside the frame.

# %%
pattern_prompts = ["circle bouncing vertically", "circle bouncing horizontally", "circle zigzagging vertically",
                   "circle zigzagging horizontally", "circle rotating clockwise", "circle rotating counter-clockwise",
                   "circle shrinking", "circle expanding"]
patterns = render(sample_clips([attributes_for(p) for p in pattern_prompts], VideoConfig(), np.random.default_rng(seed)))
show(patterns, pattern_prompts)

# %%
frames_strip(patterns[4:], pattern_prompts[4:], frames=8)

# %% [markdown]
# ## Held-out prompts
#
# A preset's split is a list of rules; every combination matching one is kept out of
# training. `partition` refuses a split that would hide a word altogether: every held-out
# prompt is a new combination of words seen elsewhere.
#
# **circles**: 8 directions of one white circle; "circle moving up-right" is held out, the
# only prompt with both `up` and `right`. (training combinations, held-out combinations):

# %%
circles = get_preset("circles")
circles.holdout.to_json(), [len(part) for part in circles.partition()]

# %%
ClipSource(circles, "train").prompts, ClipSource(circles, "heldout").prompts

# %% [markdown]
# **shapes**: 3 shapes × 7 colours × 2 sizes × 8 directions × 3 speeds; every red square,
# every triangle moving up-right and every yellow shape moving down are held out:

# %%
shapes = get_preset("shapes")
shapes.holdout.to_json(), [len(part) for part in shapes.partition()]

# %% [markdown]
# **patterns**: one white circle, the 8 directions (a diagonal one said with and without
# "diagonally") and the 8 patterns. Every prompt with both `up` and `right`, "circle bouncing
# horizontally" and "circle zigzagging vertically" are held out; each of their words is seen
# in other prompts:

# %%
patterns_preset = get_preset("patterns")
ClipSource(patterns_preset, "heldout").prompts

# %% [markdown]
# Real clips of held-out combinations (what a model is asked for and never shown):

# %%
held_out = ClipSource(shapes, "heldout")
videos, batch = held_out.sample(n_show, np.random.default_rng(seed))
show(videos, [shapes.prompt(a) for a in batch.attributes])

# %%
videos, batch = ClipSource(circles, "heldout").sample(n_show, np.random.default_rng(seed))
show(videos, [circles.prompt(a) for a in batch.attributes])
