import numpy as np
import torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
t[0, 0] = 100
print(a)
print(t.numpy().sum(), t.dtype)
print(np.shares_memory(a, t.numpy()))
