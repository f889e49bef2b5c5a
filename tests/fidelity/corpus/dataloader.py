import torch
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return torch.tensor([float(i)]), torch.tensor([float(i * i)])


if __name__ == "__main__":
    for workers in (0, 2):
        loader = DataLoader(Squares(), batch_size=3, num_workers=workers)
        for xb, yb in loader:
            print(workers, xb.flatten().tolist(), yb.flatten().tolist())
