import json
import os

with open("notes.txt", "w", encoding="utf-8") as f:
    f.write("first line\nsecond line\n")
with open("notes.txt", encoding="utf-8") as f:
    print(f.read().splitlines())
os.makedirs("out", exist_ok=True)
with open(os.path.join("out", "metrics.json"), "w") as f:
    json.dump({"loss": 0.25}, f)
print(json.load(open("out/metrics.json")))
print(sorted(p for p in os.listdir("out")), os.path.exists("notes.txt"))
