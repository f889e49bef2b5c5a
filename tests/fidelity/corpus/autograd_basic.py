import torch

w = torch.tensor([2.0, -1.0], requires_grad=True)
x = torch.tensor([3.0, 4.0])
loss = ((w * x).sum() - 1) ** 2
loss.backward()
print(loss)
print(w.grad)
print(loss.grad_fn)
print(w.is_leaf, loss.is_leaf)
