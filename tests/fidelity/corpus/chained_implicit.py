values = {"a": 1}
try:
    values["b"]
except KeyError:
    total = values["a"] / 0
