import argparse

parser = argparse.ArgumentParser(description="Train a tiny model.")
parser.add_argument("epochs", type=int)
parser.add_argument("--name", default="model")
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()
print(args)
print(f"{args.name}: {args.epochs} epochs at lr {args.lr}")
