"""Model directories and training checkpoints on disk.

A model directory holds what generation needs: `config.json` (model, video, preset, split,
vocabulary), `model.safetensors` (generator and upsampler) and `checksums.json`. A checkpoint
is a model directory plus the training state (discriminators, optimizers, step, RNG states).
Nothing is ever unpickled except optimizer state, and that with `weights_only=True`.
"""
from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy as np
import torch

from .errors import UserError
from .files import atomic_write, read_json, sha256, write_json

FORMAT = "text2video-model"
FORMAT_VERSION = 1
MODEL_FILES = ("config.json", "model.safetensors")
STATE_FILES = ("discriminators.safetensors", "optimizers.pt", "state.json")
KEEP = 2  # checkpoints kept in a run; older ones are removed after a newer one is complete


def save_weights(path: Path, modules: dict[str, torch.nn.Module]) -> None:
    from safetensors.torch import save

    tensors = {f"{name}.{k}": v.detach().cpu().contiguous() for name, m in modules.items() for k, v in m.state_dict().items()}
    with atomic_write(path) as f:
        f.write(save(tensors))


def load_weights(path: Path, modules: dict[str, torch.nn.Module]) -> None:
    from safetensors.torch import load

    try:
        tensors = load(Path(path).read_bytes())
    except FileNotFoundError:
        raise UserError(f"model file {path} is missing") from None
    except Exception as e:  # safetensors raises its own error types for malformed files
        raise UserError(f"model file {path} is corrupt ({e})") from None
    for name, module in modules.items():
        prefix = f"{name}."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        want = module.state_dict()
        missing, extra = sorted(set(want) - set(state)), sorted(set(state) - set(want))
        wrong = [k for k in set(want) & set(state) if want[k].shape != state[k].shape]
        if missing or extra or wrong:
            what = (f"missing {prefix}{missing[0]}" if missing else f"unexpected {prefix}{extra[0]}" if extra
                    else f"{prefix}{wrong[0]} has shape {tuple(state[wrong[0]].shape)}, config wants {tuple(want[wrong[0]].shape)}")
            raise UserError(f"model file {path} does not fit its config.json: {what}")
        module.load_state_dict(state)


def write_model_dir(directory: Path, config: dict, modules: dict[str, torch.nn.Module]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "config.json", {"format": FORMAT, "format_version": FORMAT_VERSION, **config})
    save_weights(directory / "model.safetensors", modules)
    write_checksums(directory, MODEL_FILES)


def write_checksums(directory: Path, names: tuple[str, ...]) -> None:
    sums = {n: sha256(directory / n) for n in names if (directory / n).exists()}
    old = read_json(directory / "checksums.json") if (directory / "checksums.json").exists() else {}
    write_json(directory / "checksums.json", {**old, **sums})


def verify(directory: Path, names: tuple[str, ...] = MODEL_FILES) -> dict:
    """Check the files against checksums.json and return the parsed config.json."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"model directory {directory} does not exist")
    sums = read_json(directory / "checksums.json", "model checksum file")
    for name in names:
        path = directory / name
        if not path.exists():
            raise UserError(f"model file {path} is missing")
        if sums.get(name) != sha256(path):
            raise UserError(f"model file {path} does not match its checksum: it was truncated or altered")
    config = read_json(directory / "config.json", "model config")
    if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{directory / 'config.json'} is not a text2video model config (format {FORMAT} v{FORMAT_VERSION})")
    return config


# --- training checkpoints -------------------------------------------------------------------


def rng_to_json(torch_state: torch.Tensor, numpy_rng: np.random.Generator) -> dict:
    return {
        "torch": base64.b64encode(torch_state.numpy().tobytes()).decode(),
        "numpy": numpy_rng.bit_generator.state,
    }


def rng_from_json(data: dict, numpy_rng: np.random.Generator) -> torch.Tensor:
    try:
        numpy_rng.bit_generator.state = data["numpy"]
        return torch.frombuffer(bytearray(base64.b64decode(data["torch"], validate=True)), dtype=torch.uint8)
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"the random state in a checkpoint's state.json is malformed ({e})") from None


def checkpoint_dir(run: Path, step: int) -> Path:
    return Path(run) / "checkpoints" / f"step-{step:07d}"


def save_checkpoint(run: Path, step: int, config: dict, models: dict, critics: dict, optimizers: dict, state: dict) -> Path:
    """Write checkpoints/step-N completely, then point checkpoints/latest.json at it.

    Weights that are not finite are refused: the last good checkpoint stays the latest. A step-N
    directory that is already there (a write cut short, or this step saved before) is removed
    first, and latest.json never names a directory while it is being written; saving the
    training state that the latest checkpoint already holds writes nothing.
    """
    for name, module in {**models, **critics}.items():
        for key, value in module.state_dict().items():
            if value.is_floating_point() and not torch.isfinite(value).all():
                raise UserError(f"{name}.{key} is NaN or infinite at step {step}: not saved, the last good "
                                "checkpoint is kept; try a lower learning rate")
    root, directory = run / "checkpoints", checkpoint_dir(run, step)
    if directory.exists():
        if directory == latest_checkpoint(run):
            if _read_state(directory) == {"step": step, **state}:
                return directory
            (root / "latest.json").unlink()
        shutil.rmtree(directory)
    try:
        write_model_dir(directory, config, models)
        save_weights(directory / "discriminators.safetensors", critics)
        with atomic_write(directory / "optimizers.pt") as f:
            torch.save({k: o.state_dict() for k, o in optimizers.items()}, f)
        write_json(directory / "state.json", {"step": step, **state})
        write_checksums(directory, MODEL_FILES + STATE_FILES)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    write_json(root / "latest.json", {"checkpoint": directory.name, "step": step})
    for old in sorted(root.glob("step-*"))[:-KEEP]:
        if old != directory:
            shutil.rmtree(old, ignore_errors=True)
    return directory


def _read_state(directory: Path) -> dict | None:
    try:
        return read_json(directory / "state.json", "training state")
    except UserError:
        return None


def latest_checkpoint(run: Path) -> Path | None:
    pointer = run / "checkpoints" / "latest.json"
    if not pointer.exists():
        return None
    name = read_json(pointer, "checkpoint pointer")
    name = name.get("checkpoint") if isinstance(name, dict) else None
    if not isinstance(name, str) or not re.fullmatch(r"step-\d+", name):
        raise UserError(f"checkpoint pointer {pointer} is malformed: it names no step-N directory")
    return run / "checkpoints" / name


def load_checkpoint(directory: Path, models: dict, critics: dict, optimizers: dict) -> dict:
    """Restore weights and optimizer states in place; return state.json."""
    verify(directory, MODEL_FILES + STATE_FILES)
    load_weights(directory / "model.safetensors", models)
    load_weights(directory / "discriminators.safetensors", critics)
    path = directory / "optimizers.pt"
    try:  # weights_only: a pickle that would build anything but tensors and plain data is refused
        opt_states = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:
        raise UserError(f"optimizer state {path} is refused: it is not plain tensors and numbers "
                        f"({type(e).__name__})") from None
    try:
        for name, opt in optimizers.items():
            opt.load_state_dict(opt_states[name])
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"optimizer state {path} does not fit this training config ({e})") from None
    state = read_json(directory / "state.json", "training state")
    if not (isinstance(state, dict) and isinstance(state.get("step"), int) and isinstance(state.get("elapsed"), (int, float))
            and isinstance(state.get("rng"), dict)):
        raise UserError(f"training state {directory / 'state.json'} lacks step, elapsed or rng")
    return state


def export(source: str | Path, out: str | Path) -> Path:
    """Copy the generation files of a model or run directory to `out` (e.g. model/circles)."""
    source = model_dir(source)
    config = verify(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "config.json", config)
    with atomic_write(out / "model.safetensors") as f:
        f.write((source / "model.safetensors").read_bytes())
    (out / "checksums.json").unlink(missing_ok=True)
    write_checksums(out, MODEL_FILES)
    return out


def model_dir(path: str | Path) -> Path:
    """A model directory, or a run directory (its latest checkpoint)."""
    path = Path(path)
    if (path / "model.safetensors").exists() or not (path / "checkpoints").exists():
        return path
    latest = latest_checkpoint(path)
    if latest is None:
        raise UserError(f"run {path} has no finished checkpoint yet")
    return latest
