"""Training: config presets (`config`), the GAN's losses (`losses`), the Trainer with its step
and loop (`trainer`), and the run's log (`log`). Reads as the loop does: config, data, models,
optimizers, steps, checkpoint."""
from .config import PRESET_CONFIGS, TrainConfig, get_config, parse_setting
from .losses import d_loss, g_loss, word_loss
from .trainer import Trainer, pick_device

__all__ = ["PRESET_CONFIGS", "TrainConfig", "Trainer", "d_loss", "g_loss", "get_config", "parse_setting", "pick_device",
           "word_loss"]
