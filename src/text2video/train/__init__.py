"""Training: config presets (`config`), the GAN's losses (`losses`), what each discriminator is
shown of the sprite design (`routing`), the Trainer with its phases and loop (`trainer`), and the
run's log (`log`). Reads as the loop does: config, data, models, optimizers, steps, checkpoint."""
from ..distributed import pick_device
from .config import PRESET_CONFIGS, TrainConfig, get_config, parse_setting
from .losses import critic_loss, d_loss, fooling_loss, g_loss, word_loss
from .trainer import Trainer

__all__ = ["PRESET_CONFIGS", "TrainConfig", "Trainer", "critic_loss", "d_loss", "fooling_loss", "g_loss", "get_config",
           "parse_setting", "pick_device", "word_loss"]
