print("start")
x = torch.ones(2)
