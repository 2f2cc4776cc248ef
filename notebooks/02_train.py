# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Training
#
# Trains the text-to-video GAN from scratch with a loss plot that redraws as it goes, looks
# at samples, then scores the result with the evaluator. This is
# `python -m text2video train` and `python -m text2video evaluate --model DIR` as calls.
#
# The committed outputs are of the run the parameters below make: the `cpu` preset on
# `circles` for 750 steps (seed 0), the steps that 10 minutes buy on a slow 2-core CPU (an AMD
# EPYC; a faster one makes twice as many), about 12 minutes on one thread. The preset trains
# the sprite alone for its first 100 steps and the path after; by step 750 the model passes
# the evaluator, the held-out prompt included. `minutes = 10` instead asks for the bar's time
# (README, Results); with `seed = 0` on the machine of its card that is `model/circles`'s
# command. Notebook 03 shows the shipped models.

# %% tags=["parameters"]
preset = "cpu"  # training preset: cpu, patterns, shapes, gpu (one CUDA GPU), tutorial (the baseline), tiny (tests)
data = "circles"  # data preset (clips rendered on the fly) or a dataset directory (make-dataset)
minutes = None  # or a training-time budget (sampling and checkpoints not counted)
steps = 750  # a number of steps
epochs = None  # or passes over a dataset directory's clips; with several lengths, whichever ends first
every = 25  # steps between redraws of the loss plot
seed = 0
out_dir = "../runs/notebook-02"  # the run directory; runs/ is not committed
held_out = "circle moving up-right"  # a held-out prompt of the data preset
eval_clips = 64  # clips per prompt for the evaluator, as in the README's results

# %%
import text2video
from text2video.notebook import evaluate_model, show, show_report, train_live
from text2video.train import Trainer, get_config

# %% [markdown]
# ## The run
#
# A `Trainer` holds the models, optimizers and data source; its config is a preset's
# dataclass. The run directory gets `config.json`, `log.jsonl` (losses), `loss.png`,
# `samples/` and `checkpoints/`.

# %%
trainer = Trainer(get_config(preset), data, out_dir, seed=seed)
trainer.cfg

# %% [markdown]
# `train_live` calls `trainer.fit` in chunks of `every` steps and redraws `loss.png` after
# each: `loss_d` (discriminators), `loss_g` (generator) and `loss_up` (the upsampler, when the
# generator draws below full size). Hinge-loss GAN curves do not fall to zero; a `loss_d`
# stuck near 0 while `loss_g` climbs would mean the discriminators have won.

# %%
checkpoint = train_live(trainer, steps=steps, minutes=minutes, every=every, epochs=epochs)

# %% [markdown]
# ## Samples
#
# `text2video.load` reads the run's latest checkpoint, as it reads a model directory. Four
# clips of the held-out prompt, one per noise seed:

# %%
model = text2video.load(out_dir)
show(model.generate(held_out, n=4, seed=seed), held_out)

# %% [markdown]
# ## The evaluator
#
# `eval_clips` clips per prompt, each judged by the analytic checks (presence, direction,
# speed, shape, ...; docs/EVALUATOR.md), with start-position spread against real clips. The
# learned classifier is left out here (`classifier=True` adds it; training it once per
# preset takes about 2.5 minutes). Below the table, the first clip of each prompt with its
# verdict.

# %%
show_report(evaluate_model(out_dir, n=eval_clips, seed=seed))
