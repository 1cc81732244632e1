"""The LSTM classifier of examples/lstm.ts in PyTorch: each Fashion-MNIST image read as 28 rows
of 28 pixels (standardised by the training set's pixel mean and standard deviation, 0.2860 and
0.3530) by an LSTM of 128 hidden units (the forget gate's bias started at 1), a linear softmax
layer on the last hidden state, cross-entropy, Adam lr 1e-3, batch 128, float32. For comparing
accuracy and time per epoch.

Usage: lstm_torch.py [--epochs N] [--seed S] [--threads T] [--limit IMAGES]; one line per epoch.
"""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--limit", type=int, default=60000)
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist/")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def idx(name, offset):
    with gzip.open(args.data.rstrip("/") + "/" + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return torch.tensor(idx(name, 16).reshape(-1, 28, 28) / 255.0, dtype=torch.float32)


xtr = images("train-images-idx3-ubyte.gz")[: args.limit]
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8)[: args.limit], dtype=torch.long)
xte = images("t10k-images-idx3-ubyte.gz")
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8), dtype=torch.long)


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(28, 128, batch_first=True)
        self.out = torch.nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.lstm((x - 0.2860) / 0.3530)
        return self.out(h[-1])


model = Classifier()
with torch.no_grad():  # the forget gate's bias starts at 1, half in each of the two biases
    model.lstm.bias_ih_l0[128:256].fill_(0.5)
    model.lstm.bias_hh_l0[128:256].fill_(0.5)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(1, args.epochs + 1):
    t0, c0 = time.perf_counter(), time.process_time()
    perm = torch.randperm(len(xtr))
    total, batches = 0.0, 0
    for i in range(0, len(xtr), 128):
        b = perm[i : i + 128]
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[b]), ytr[b])
        loss.backward()
        opt.step()
        total, batches = total + loss.item(), batches + 1
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"epoch {epoch}: loss {total / batches:.4f}, test accuracy {acc:.4f}, {secs:.2f} s, {cpu:.2f} s CPU, threads {args.threads}", flush=True)
