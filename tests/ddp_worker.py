"""Run by tests/test_ddp.py under torchrun: the `train` command as users run it, plus a record
of each rank's weights and step, of who wrote checkpoints, and an optional Ctrl-C on rank 1.

Usage: torchrun ... tests/ddp_worker.py RECORD_DIR INTERRUPT_AT_STEP train ARGS...
(INTERRUPT_AT_STEP 0: never.)
"""
import hashlib
import os
import signal
import sys
from pathlib import Path

from text2video import checkpoint, cli, train

record, interrupt_at, argv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
rank = int(os.environ["RANK"])


def weights_checksum(trainer) -> str:
    h = hashlib.sha256()
    for name, module in sorted({**trainer.models, **trainer.critics}.items()):
        for key, tensor in module.state_dict().items():
            h.update(f"{name}.{key}".encode())
            h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


fit, train_step, save_checkpoint = train.Trainer.fit, train.Trainer.train_step, checkpoint.save_checkpoint


def recorded_fit(self, *args, **kwargs):
    try:
        return fit(self, *args, **kwargs)
    finally:
        (record / f"rank{rank}.txt").write_text(f"{self.step} {weights_checksum(self)}")


def interrupted_step(self):
    stats = train_step(self)
    if rank == 1 and self.step + 1 == interrupt_at:  # as if Ctrl-C reached this rank alone
        os.kill(os.getpid(), signal.SIGINT)
    return stats


def recorded_save(*args, **kwargs):
    (record / f"saved-by-rank{rank}").touch()
    return save_checkpoint(*args, **kwargs)


train.Trainer.fit, train.Trainer.train_step, checkpoint.save_checkpoint = recorded_fit, interrupted_step, recorded_save
record.mkdir(parents=True, exist_ok=True)
sys.exit(cli.main(argv))
