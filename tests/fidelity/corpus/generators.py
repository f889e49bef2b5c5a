def batches(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_counter():
    count = 0

    def bump():
        nonlocal count
        count += 1
        return count

    return bump


print(list(batches(list(range(7)), 3)))
bump = make_counter()
print(bump(), bump(), bump())
print({n: n * n for n in range(4)}, [c for c in "abc"][::-1])
