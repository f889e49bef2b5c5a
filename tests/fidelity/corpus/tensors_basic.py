import torch

x = torch.arange(12).reshape(3, 4)
print(x)
print(x.shape, x.dtype, x.device)
print(x[1], x[:, 2])
y = torch.tensor([[1.5, 2.0], [3.25, -4.0]])
print(y * 2)
print(y.T)
print(torch.zeros(2, 3, dtype=torch.int64))
