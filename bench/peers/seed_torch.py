"""The seed training step with PyTorch autograd. Prints '<dtype> <us per step>'."""
import os
import sys
import time

from seed_data import load
import torch

torch.set_num_threads(int(os.environ.get("THREADS", "1")))


def run(x, y, w0, steps, dtype):
    x = torch.tensor(x, dtype=dtype)
    y = torch.tensor(y, dtype=dtype)
    w = torch.tensor(w0, dtype=dtype, requires_grad=True)
    b = torch.zeros((), dtype=dtype, requires_grad=True)
    for s in range(steps + steps // 10):
        if s == steps // 10:
            t0 = time.perf_counter()
        z = x @ w + b
        xent = torch.nn.functional.softplus(-z) * y + torch.nn.functional.softplus(z) * (1 - y)
        cost = xent.mean() + 0.01 * (w**2).sum()
        gw, gb = torch.autograd.grad(cost, [w, b])
        with torch.no_grad():
            w -= 0.1 * gw
            b -= 0.1 * gb
    return (time.perf_counter() - t0) / steps * 1e6


x, y, w = load(sys.argv[1])
steps = int(sys.argv[2])
for name, dt in (("float64", torch.float64), ("float32", torch.float32)):
    print(name, "%.3f" % run(x, y, w, steps, dt))
