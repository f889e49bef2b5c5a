import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return torch.relu(self.fc(x))


torch.manual_seed(0)
model = TinyNet()
torch.save(model, "tiny.pt")
torch.save(model.state_dict(), "tiny_weights.pt")
whole = torch.load("tiny.pt", weights_only=False)
print(type(whole).__name__, whole)
fresh = TinyNet()
fresh.load_state_dict(torch.load("tiny_weights.pt"))
x = torch.ones(1, 3)
print(torch.equal(fresh(x), model(x)), sorted(fresh.state_dict()))
