"""The Fashion-MNIST MLP of examples/fashion-mnist.ts in PyTorch (same data, model, SGD, batch,
epochs, float32), for comparing accuracy and time per epoch. Usage: fashion_mlp_torch.py [SEED [EPOCHS]]"""
import gzip
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(int(os.environ.get("THREADS", "1")))
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.manual_seed(seed)
d = "/usr/share/datasets/fashion-mnist/"


def idx(name, offset):
    with gzip.open(d + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


xtr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8), dtype=torch.long)
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8), dtype=torch.long)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr), 128):
        b = perm[i : i + 128]
        opt.zero_grad()
        loss_fn(model(xtr[b]), ytr[b]).backward()
        opt.step()
    secs = time.perf_counter() - t0
with torch.no_grad():
    acc = (model(xte).argmax(1) == yte).float().mean().item()
print(f"seed {seed}: test accuracy {acc:.4f}, last epoch {secs:.2f} s")
