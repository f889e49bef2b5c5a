def check(batch):
    problems = []
    for i, value in enumerate(batch):
        if value < 0:
            problems.append(ValueError(f"item {i} is negative: {value}"))
    if problems:
        raise ExceptionGroup("bad batch", problems)


check([1, -2, 3, -4])
