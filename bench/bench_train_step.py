"""make bench (issue 4): ms per training step of nnU-Net v1's Generic_UNet in PyTorch-Python, the counterpart of
`nnseg_bench_train_step step`. The network is src/network/generic_unet_reference.py (imported, not copied); the step
is what nnUNetTrainerV2 does on the CPU: zero_grad, forward, deep-supervision Dice+CE loss (MultipleOutputLoss2 over
DC_and_CE_loss, sample Dice, no background), backward, clip_grad_norm_(12), SGD Nesterov (lr 0.01, momentum 0.99,
weight decay 3e-5). One warm-up step, then STEPS timed steps.

usage: bench_train_step.py PLAN PATCH BATCH THREADS STEPS      (PLAN: brats or small, as the C++ program)
Prints `key value` lines.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "network"))
import generic_unet_reference as ref  # noqa: E402

PLANS = {
    "brats": {"in": 4, "classes": 4, "base": 32, "max": 320, "pools": [[2, 2, 2]] * 5, "kernels": [[3, 3, 3]] * 6,
              "convs": 2, "norm": "instance"},
    "small": {"in": 4, "classes": 4, "base": 16, "max": 320, "pools": [[2, 2, 2]] * 3, "kernels": [[3, 3, 3]] * 4,
              "convs": 2, "norm": "instance"},
}


def ds_weights(n):
    w = [1.0 / 2 ** i for i in range(n)]
    w[-1] = 0.0
    s = sum(w)
    return [x / s for x in w]


def dice_ce(logits, target):
    """v1 DC_and_CE_loss: CE + soft Dice (sample Dice, background excluded, smooth 1e-5)."""
    t = target[:, 0].long()
    ce = torch.nn.functional.cross_entropy(logits, t)
    p = torch.softmax(logits, 1)
    y = torch.zeros_like(p).scatter_(1, t[:, None], 1)
    axes = tuple(range(2, p.ndim))
    tp = (p * y).sum(axes)
    fp = (p * (1 - y)).sum(axes)
    fn = ((1 - p) * y).sum(axes)
    dc = (2 * tp + 1e-5) / (2 * tp + fp + fn + 1e-5 + 1e-8)
    return ce - dc[:, 1:].mean()


def main():
    plan, patch, batch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
        int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = PLANS[plan]
    net = ref.GenericUNet(cfg)
    net.apply(ref.init_he)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.99, weight_decay=3e-5, nesterov=True)
    n_out = len(cfg["pools"])
    weights = ds_weights(n_out)
    x = torch.randn(batch, cfg["in"], patch, patch, patch)
    labels = torch.randint(0, cfg["classes"], (batch, 1, patch, patch, patch)).float()
    targets = [labels[:, :, ::2 ** i, ::2 ** i, ::2 ** i].contiguous() for i in range(n_out)]
    ms = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        outs = net(x)
        loss = sum(w * dice_ce(o, t) for w, o, t in zip(weights, outs, targets) if w != 0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 12)
        opt.step()
        loss.item()
        if s > 0:
            ms.append(1000 * (time.perf_counter() - t0))
    ms.sort()
    med = ms[len(ms) // 2] if len(ms) % 2 else 0.5 * (ms[len(ms) // 2 - 1] + ms[len(ms) // 2])
    print("torch %s\nthreads %d\nms_median %.1f\nms_mean %.1f\nsteps %d" %
          (torch.__version__, torch.get_num_threads(), med, sum(ms) / len(ms), len(ms)))


if __name__ == "__main__":
    main()
