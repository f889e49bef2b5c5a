import sys

for i in range(1, 6):
    print(f"\rstep {i}/5 [{'#' * i}{'.' * (5 - i)}]", end="")
print()
for pct in (0, 50, 100):
    sys.stdout.write(f"\rdownloading... {pct:3d}%")
    sys.stdout.flush()
sys.stdout.write("\n")
print("a\rb")
