import argparse

parser = argparse.ArgumentParser()
parser.add_argument("epochs", type=int)
args = parser.parse_args()
print("never printed", args)
