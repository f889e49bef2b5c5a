names = ["张量", "梯度", "café", "naïve"]
for n in names:
    print(f"{n!r:>10} {len(n)}")
print("→ done ✓")
