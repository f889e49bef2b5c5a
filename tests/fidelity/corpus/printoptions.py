import torch

torch.set_printoptions(precision=2)
print(torch.tensor([1 / 3, 2 / 3, 1.0]))
torch.set_printoptions(profile="default")
print(torch.tensor([1 / 3]))
print(f"{torch.pi:.5f}", torch.finfo(torch.float32).eps)
