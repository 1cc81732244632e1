"""Reads the seed data file written by bench/run.ts: int32 N, int32 F, then X, y, w as float64."""
import numpy as np


def load(path):
    with open(path, "rb") as f:
        n, feats = np.frombuffer(f.read(8), dtype="<i4")
        body = np.frombuffer(f.read(), dtype="<f8")
    x = body[: n * feats].reshape(n, feats)
    return x, body[n * feats : n * feats + n], body[n * feats + n :]
