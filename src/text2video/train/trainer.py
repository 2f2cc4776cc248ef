"""The Trainer: one GAN step in three phases (the discriminators on (real, prompt) against
(generated, prompt) and (real, wrong prompt); the generator against them; the upsampler on real
pairs) and the loop around it: logging, samples, checkpoints, resume. Its config is in `config`."""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import checkpoint as ckpt
from ..data import RealClips
from ..distributed import Dist, pick_device
from ..errors import UserError
from ..files import write_json
from ..models import (ImageDiscriminator, Upsampler, VideoDiscriminator, bag_of_words, centred_clips, centred_crops,
                      downsample, make_generator)
from ..presets import Split
from ..synth import VideoConfig
from ..text import Vocabulary, tokenize
from .config import TrainConfig
from .log import plot_losses, trim_log, write_row
from .losses import critic_loss, fooling_loss
from .routing import asks_another_look, generated, real_places, some_frames, still_frames


@dataclass
class Batch:
    """One step's real clips (full size and at the core side) and prompts, as the networks take them."""

    real64: torch.Tensor  # (B, 3, T, size, size)
    real: torch.Tensor  # (B, 3, T, core, core)
    prompts: list[str]
    wrong: list[str]  # another training prompt for each clip
    ids: torch.Tensor  # (B, L)
    wrong_ids: torch.Tensor
    bag: torch.Tensor  # (B, vocabulary) the words of each prompt
    frame_ids: torch.Tensor  # ids and bag repeated for the image discriminator's image_frames a clip
    frame_bag: torch.Tensor


class Trainer:
    """Trains one replica; with `dist` from torchrun, several ranks train one model: cfg.batch_size
    is the global batch, split evenly, and gradients are averaged over ranks before every step.
    `amp` and `channels_last` default to on with CUDA; `compile` compiles the networks' forwards."""

    def __init__(self, cfg: TrainConfig, data: str, out: str | Path, seed: int = 0, device: str = "auto",
                 holdout: list[str] | None = None, dist: Dist | None = None, compile: bool = False,
                 amp: bool | None = None, channels_last: bool | None = None):
        self.cfg, self.out, self.seed = cfg, Path(out), seed
        self.dist = dist or Dist()
        self.batch = self.dist.share(cfg.batch_size)  # clips per rank and step
        self.device = pick_device(device)
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        m = cfg.model
        self.video = VideoConfig(frames=m.frames, height=m.size, width=m.size)
        split = Split.parse(holdout) if holdout else None
        self.real = RealClips(data, self.video, split, self.rng, self.dist.rank, self.dist.world, seed, cfg.near_miss)
        self.real.check(cfg.batch_size)  # before any network is built
        self.vocab = Vocabulary.from_grammar()
        self.G = make_generator(m, len(self.vocab)).to(self.device)
        self.U = Upsampler(m.up_channels).to(self.device)
        self.Dv = VideoDiscriminator(m, len(self.vocab)).to(self.device) if m.design != "tutorial" else None
        # a generator that draws at full size has its frames judged at full size: shapes stay sharp
        self.image_full = self.G.side == m.size
        self.Di = ImageDiscriminator(m, m.size if self.image_full else m.core, len(self.vocab), project=cfg.image_text,
                                     words=cfg.image_words > 0).to(self.device)
        self.Dw = ImageDiscriminator(m, cfg.window, len(self.vocab),
                                     words=cfg.window_words > 0).to(self.device) if cfg.window else None
        self.Dt = VideoDiscriminator(m, len(self.vocab), cfg.video_window).to(self.device) if cfg.video_window else None
        nets = [n for n in (self.G, self.U, self.Dv, self.Dt, self.Di, self.Dw) if n is not None]
        channels_last = self.device.type == "cuda" if channels_last is None else channels_last
        if channels_last:
            for net in nets:  # NHWC convs suit tensor cores; the same weights and state_dict keys
                net.to(memory_format=torch.channels_last)
        self.dist.broadcast(nets)  # every rank starts from rank 0's weights
        self.dist.reseed(self.rng, seed)
        critics = [p for d in (self.Dv, self.Dt, self.Di, self.Dw) if d is not None for p in d.parameters()]
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam([p for p in self.G.parameters() if p.requires_grad], cfg.lr, cfg.betas)
        self.opt_d = torch.optim.Adam(critics, cfg.lr, cfg.betas)
        self.opt_u = torch.optim.Adam(self.U.parameters(), 1e-3)
        self.step, self.elapsed = 0, 0.0
        # bf16 autocast where supported (no loss scaling needed); fp16 with a scaler on older GPUs
        self.amp = self.device.type == "cuda" if amp is None else amp
        fp16 = self.device.type == "cuda" and not torch.cuda.is_bf16_supported()
        self.amp_dtype = torch.float16 if fp16 else torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and fp16)
        self.fixed_noise = torch.randn(4, *self.G.noise_shape, generator=torch.Generator().manual_seed(seed))
        if compile:  # in place: each module's __call__ is compiled, its state_dict keys stay as they are
            for net in (self.G, self.U, self.Di, self.Dw, self.Dv and self.Dv.tower, self.Dt and self.Dt.tower):
                if net is not None:
                    net.compile()

    # --- what a checkpoint holds ---------------------------------------------------------
    @property
    def models(self) -> dict:
        return {"generator": self.G_ema, "upsampler": self.U}

    @property
    def critics(self) -> dict:
        nets = (("video_d", self.Dv), ("video_window_d", self.Dt), ("image_d", self.Di), ("window_d", self.Dw),
                ("generator_train", self.G))
        return {k: v for k, v in nets if v is not None}

    @property
    def optimizers(self) -> dict:
        return {"g": self.opt_g, "d": self.opt_d, "u": self.opt_u}

    def model_config(self) -> dict:
        return {
            "model": self.cfg.model.to_json(),
            "video": self.video.to_json(),
            "preset": self.real.preset.to_json(),
            "split": self.real.split.to_json(),
            "vocabulary": self.vocab.to_json(),
            "prompt_words": sorted({w for p in self.real.prompts for w in tokenize(p)}),  # all a prompt may say
            "train": self.cfg.to_json(),
            "seed": self.seed,
            "step": self.step,
            "train_seconds": round(self.elapsed, 1),
        }

    def save(self) -> Path:
        """Rank 0 writes the checkpoint; every rank returns its path once it is complete."""
        if not self.dist.main:
            self.dist.barrier()
            return self.out / "checkpoints" / f"step-{self.step:07d}"
        state = {"elapsed": self.elapsed, "rng": ckpt.rng_to_json(torch.get_rng_state(), self.rng)}
        path = ckpt.save_checkpoint(self.out, self.step, self.model_config(), self.models, self.critics,
                                    self.optimizers, state)
        self.dist.barrier()
        return path

    def resume(self) -> bool:
        latest = ckpt.latest_checkpoint(self.out)
        if latest is None:
            return False
        state = ckpt.load_checkpoint(latest, self.models, self.critics, self.optimizers)
        self.step, self.elapsed = state["step"], state["elapsed"]
        torch.set_rng_state(ckpt.rng_from_json(state["rng"], self.rng))
        if self.dist.main:
            trim_log(self.out / "log.jsonl", self.step)
        if self.dist.world > 1:  # the checkpoint holds rank 0's streams; the others restart from the step
            self.dist.reseed(self.rng, self.seed, self.step)
        return True

    # --- one step ------------------------------------------------------------------------
    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp)

    def _backward(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.dist.average_gradients([p for group in opt.param_groups for p in group["params"]])
        self.scaler.step(opt)
        self.scaler.update()

    @torch.no_grad()
    def _update_ema(self) -> None:
        # a short warm-up: early on the average follows the generator closely
        decay = min(self.cfg.ema, (1 + self.step) / (10 + self.step))
        for avg, live in zip(self.G_ema.parameters(), self.G.parameters()):
            avg.lerp_(live, 1 - decay)
        for avg, live in zip(self.G_ema.buffers(), self.G.buffers()):
            avg.copy_(live)

    def at_core(self, video: torch.Tensor) -> torch.Tensor:
        """What the discriminators see: clips averaged down to the core side."""
        return downsample(video, video.shape[-1] // self.cfg.model.core)

    def frames_for_image_d(self, full: torch.Tensor, core: torch.Tensor, k: int) -> torch.Tensor:
        """k random frames per clip, at full size when the generator draws at full size."""
        return some_frames(full if self.image_full else core, k)

    def noise(self) -> torch.Tensor:
        return torch.randn(self.batch, *self.G.noise_shape).to(self.device)  # CPU RNG: seeded

    def real_batch(self) -> Batch:
        cfg, dev, k = self.cfg, self.device, self.cfg.image_frames
        real64, prompts, wrong = self.real.batch(self.batch, self.step)
        real64 = real64.to(dev)
        ids, wrong_ids = self.vocab.batch(prompts).to(dev), self.vocab.batch(wrong).to(dev)
        bag = bag_of_words(ids, len(self.vocab))
        return Batch(real64, downsample(real64, cfg.model.size // cfg.model.core), prompts, wrong, ids, wrong_ids,
                     bag, ids.repeat_interleave(k, 0), bag.repeat_interleave(k, 0))

    def video_critics(self, b: Batch, whole: list[tuple], full: list[tuple], real: bool = True) -> list[tuple]:
        """[(video discriminator, real clips (None unless `real`), generated clips, their share (None:
        all 1))]: `whole` [(clips, share)] at the core side, and with video_window windows that follow
        the object at full size in `full` [(clips, share)] (routing.generated's)."""
        out = [(self.Dv, b.real, clips, share) for clips, share in whole] if self.Dv is not None else []
        if self.Dt is not None:
            w = self.cfg.video_window
            real_windows = centred_clips(b.real64, w) if real else None
            out += [(self.Dt, real_windows, centred_clips(clips, w), share) for clips, share in full]
        return out

    def discriminator_loss(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Every discriminator's loss, and where its real frames' objects are (look_at_real; else None)."""
        cfg, k, at = self.cfg, self.cfg.image_frames, None
        with self._autocast():
            with torch.no_grad():
                if cfg.look_at_real:
                    sprite, path = self.G.parts(self.noise(), b.ids)
                    fake_full = self.G.render(sprite, path)
                else:
                    fake_full = self.G(self.noise(), b.ids)
                fake = self.at_core(fake_full)
            loss = torch.zeros((), device=self.device)
            for D, real, fake, _ in self.video_critics(b, [(fake, None)], [(fake_full, None)]):
                f_real, f_fake = D.features(real), D.features(fake)
                fakes = [(f_fake, b.ids)] + ([(f_real, b.wrong_ids)] if cfg.mismatch else [])
                loss = loss + critic_loss(cfg.loss, D, (f_real, b.ids), fakes, words=cfg.words, bag=b.bag)
            if k:
                frames_real = self.frames_for_image_d(b.real64, b.real, k)
                if cfg.look_at_real:
                    at = real_places(frames_real, k)
                    frames_fake = still_frames(self.G, sprite, path, k, at)
                else:
                    frames_fake = self.frames_for_image_d(fake_full, fake, k)
                i_real, i_fake = self.Di.features(frames_real), self.Di.features(frames_fake)
                fakes = [(i_fake, b.frame_ids)]
                if cfg.image_mismatch:
                    other = asks_another_look(b.prompts, b.wrong).repeat_interleave(k).to(self.device)
                    if other.any():
                        fakes.append((i_real[other], b.wrong_ids.repeat_interleave(k, 0)[other]))
                loss = loss + critic_loss(cfg.loss, self.Di, (i_real, b.frame_ids), fakes, words=cfg.image_words,
                                          bag=b.frame_bag)
                if self.Dw is not None:
                    w_real = self.Dw.features(centred_crops(frames_real, cfg.window))
                    w_fake = [(self.Dw.features(centred_crops(frames_fake, cfg.window)), b.frame_ids)]
                    loss = loss + critic_loss(cfg.loss, self.Dw, (w_real, b.frame_ids), w_fake if cfg.window_real else [],
                                              cfg.window_real, cfg.window_words, b.frame_bag)
        return loss, at

    def generator_loss(self, b: Batch, at: torch.Tensor | None) -> torch.Tensor:
        """The generator's loss against every discriminator; `at` from discriminator_loss."""
        cfg, k = self.cfg, self.cfg.image_frames
        with self._autocast():
            # with video_path the clips carry the path's gradient alone: before path_after none, so
            # they are neither drawn nor judged (the image discriminator's still frames teach the look)
            moving = not (cfg.video_path and self.step < cfg.path_after)
            full, still, turning = generated(self.G, cfg, self.step, self.noise(), b.ids, at, clips=moving,
                                             still=self.Dw is not None or cfg.image_look)
            whole = [(self.at_core(clips), share) for clips, share in full] if moving else []
            loss = torch.zeros((), device=self.device)
            for D, _, fake, share in self.video_critics(b, whole, turning or full, real=False) if moving else ():
                with torch.set_grad_enabled(fake.requires_grad):  # clips that only weigh their odds need no graph
                    features = D.features(fake)
                loss = loss + fooling_loss(cfg.loss, D, (features, b.ids), words=cfg.words, bag=b.bag, share=share)
            if cfg.motion_prior and moving:
                loss = loss + cfg.motion_prior * self.G.motion.cost(b.ids).mean()
            if cfg.look_convex:
                loss = loss + cfg.look_convex * self.G.look.dents(b.ids).mean()
            if k:
                frames = still[0] if cfg.image_look else self.frames_for_image_d(full[0][0], whole[0][0], k)
                loss = loss + fooling_loss(cfg.loss, self.Di, (self.Di.features(frames), b.frame_ids),
                                           words=cfg.image_words, bag=b.frame_bag)
                if self.Dw is not None:
                    w_fake = self.Dw.features(centred_crops(still[1], cfg.window))
                    loss = loss + fooling_loss(cfg.loss, self.Dw, (w_fake, b.frame_ids), cfg.window_real,
                                               cfg.window_words, b.frame_bag)
        return loss

    def upsampler_loss(self, b: Batch) -> torch.Tensor:
        """L1 of the upsampler on a few random frames (it is a per-frame 2-D net) of real pairs."""
        idx = torch.randint(0, b.real.shape[2], (2,))
        with self._autocast():
            return F.l1_loss(self.U(b.real[:8, :, idx]), b.real64[:8, :, idx])

    def train_step(self) -> dict:
        b = self.real_batch()
        loss_d, at = self.discriminator_loss(b)
        if not self.dist.all_finite(loss_d):
            return {"skipped": 1}
        self._backward(loss_d, self.opt_d)
        loss_g = self.generator_loss(b, at)
        if not self.dist.all_finite(loss_g):
            return {"skipped": 1}
        self._backward(loss_g, self.opt_g)
        self._update_ema()
        out = {"loss_d": loss_d.item(), "loss_g": loss_g.item()}
        if self.G.side != self.cfg.model.size and self.step % self.cfg.upsampler_every == 0:
            loss_u = self.upsampler_loss(b)
            self._backward(loss_u, self.opt_u)
            out["loss_up"] = loss_u.item()
        return out

    # --- the loop ------------------------------------------------------------------------
    def samples(self, path: Path) -> None:
        from ..sample import VideoModel
        from ..video_io import grid, save_video

        if not self.dist.main:
            return
        model = VideoModel(self.G_ema, self.U, self.vocab, self.cfg.model, self.device)
        clips = model.generate_from_noise(self.real.sample_prompts(8), self.fixed_noise)
        save_video(path, grid(clips, columns=len(self.fixed_noise)), fps=8)

    def fit(self, steps: int | None = None, minutes: float | None = None, epochs: float | None = None,
            progress: bool = True) -> Path:
        """Train for `steps`, `minutes` or `epochs` (passes over a dataset), whichever ends first."""
        from tqdm.auto import tqdm

        if steps is None and minutes is None and epochs is None:
            raise UserError("give a training length: --steps N, --minutes M or --epochs E")
        steps = self.real.last_step(steps, epochs, self.cfg.batch_size)
        main = self.dist.main
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_json(self.out / "config.json", {"train": self.cfg.to_json(), "seed": self.seed})
        budget = math.inf if minutes is None else minutes * 60
        bar = tqdm(total=steps, initial=self.step, desc="train", unit="step", disable=not (progress and main))
        log = open(self.out / "log.jsonl" if main else os.devnull, "a")  # ranks above 0 log nowhere
        skipped = 0
        with self.dist.deferred_interrupt() as interrupted:  # also while the interrupted run is saved
            try:
                while self._keep_going(steps, budget, interrupted.is_set()):
                    start = time.perf_counter()
                    self.G.train()
                    stats = self.train_step()
                    self.elapsed += time.perf_counter() - start
                    if "skipped" in stats:
                        skipped += 1
                        if skipped >= 10:
                            raise UserError(f"loss was NaN or infinite 10 steps running at step {self.step}; "
                                            "the last good checkpoint is kept, try a lower learning rate")
                        continue
                    skipped = 0
                    self.step += 1
                    bar.update(1)
                    if self.step % self.cfg.log_every == 0:
                        write_row(log, self.step, self.elapsed, stats)
                        bar.set_postfix({k: f"{v:.3f}" for k, v in stats.items()}, refresh=False)
                    if self.step % self.cfg.sample_every == 0:
                        self.samples(self.out / "samples" / f"step-{self.step:07d}.gif")
                    if self.step % self.cfg.checkpoint_every == 0:
                        self.save()
            except KeyboardInterrupt:
                bar.close()
                self.save()
                raise
            finally:
                log.close()
        bar.close()
        path = self.save()
        self.samples(self.out / "samples" / f"step-{self.step:07d}.gif")
        if main:
            plot_losses(self.out)
        return path

    def _keep_going(self, steps: int | None, budget: float, interrupted: bool) -> bool:
        """Every rank decides alike: on the longest training time of any, and Ctrl-C on any stops all."""
        stop, self.elapsed = self.dist.agree(interrupted, self.elapsed)
        if stop:
            raise KeyboardInterrupt
        return (steps is None or self.step < steps) and self.elapsed < budget
