data = {"model": {"layers": None}}


def depth(config):
    return len(config["model"]["layers"]) + 1


print(depth(data))
