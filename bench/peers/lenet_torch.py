"""The LeNet of examples/lenet-model.ts in PyTorch (same data, model, initialisation rule, SGD
lr 0.1, batch 128, float32), for comparing accuracy and time per epoch.

Usage: lenet_torch.py [--seed S] [--epochs E] [--threads T] [--limit N]
(or the same four positionally: SEED EPOCHS THREADS LIMIT); prints one line per epoch.
"""
import argparse
import gzip
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

cli = argparse.ArgumentParser()
for i, (name, default) in enumerate([("seed", 0), ("epochs", 10), ("threads", 1), ("limit", 60000)]):
    cli.add_argument(f"pos_{name}", nargs="?", type=int, default=None, help=f"{name}, positionally")
    cli.add_argument(f"--{name}", type=int, default=None)
args = cli.parse_args()


def option(name, default):
    flag, pos = getattr(args, name), getattr(args, f"pos_{name}")
    return flag if flag is not None else pos if pos is not None else default


seed, epochs, threads, limit = option("seed", 0), option("epochs", 10), option("threads", 1), option("limit", 60000)
torch.set_num_threads(threads)
torch.manual_seed(seed)
d = "/usr/share/datasets/fashion-mnist/"


def idx(name, offset):
    with gzip.open(d + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


xtr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:limit] / 255.0, dtype=torch.float32)
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8)[:limit], dtype=torch.long)
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8), dtype=torch.long)


def uniform(bound, *shape):
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


def conv_bound(out, inp):
    return math.sqrt(6 / (inp * 25 + out * 25 / 4))


w1, b1 = uniform(conv_bound(20, 1), 20, 1, 5, 5), torch.nn.Parameter(torch.zeros(20))
w2, b2 = uniform(conv_bound(50, 20), 50, 20, 5, 5), torch.nn.Parameter(torch.zeros(50))
w3, b3 = uniform(math.sqrt(6 / 1300), 800, 500), torch.nn.Parameter(torch.zeros(500))
w4, b4 = torch.nn.Parameter(torch.zeros(500, 10)), torch.nn.Parameter(torch.zeros(10))
params = [w1, b1, w2, b2, w3, b3, w4, b4]


def model(x):
    # Pooling before the bias and tanh, as in the tutorial (conv2d is a correlation; the
    # filters are random, so no flip is needed for the same model).
    h = torch.tanh(F.max_pool2d(F.conv2d(x, w1), 2) + b1.view(1, -1, 1, 1))
    h = torch.tanh(F.max_pool2d(F.conv2d(h, w2), 2) + b2.view(1, -1, 1, 1))
    h = torch.tanh(h.flatten(1) @ w3 + b3)
    return h @ w4 + b4


opt = torch.optim.SGD(params, lr=0.1)
for epoch in range(1, epochs + 1):
    t0, c0 = time.perf_counter(), time.process_time()
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr), 128):
        b = perm[i : i + 128]
        opt.zero_grad()
        F.cross_entropy(model(xtr[b]), ytr[b]).backward()
        opt.step()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"seed {seed} epoch {epoch}: test accuracy {acc:.4f}, {secs:.2f} s, {cpu:.2f} s CPU, threads {threads}", flush=True)
