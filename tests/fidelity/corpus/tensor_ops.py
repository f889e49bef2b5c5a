import torch

a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.tensor([10.0, 20.0])
print(a @ a)
print(a * b)
print(a + b.unsqueeze(1))
print(a.sum(), a.mean(dim=0), a.max())
print(torch.cat([a, a], dim=0).shape)
print(a.view(4), a.flatten().tolist())
