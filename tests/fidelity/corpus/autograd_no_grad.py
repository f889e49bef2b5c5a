import torch

w = torch.ones(3, requires_grad=True)
with torch.no_grad():
    y = w * 2
print(y.requires_grad)
z = (w * 3).detach()
print(z.requires_grad, z)
out = (w ** 2).sum()
out.backward()
out2 = (w ** 2).sum()
out2.backward()
print(w.grad)
w.grad.zero_()
print(w.grad)
