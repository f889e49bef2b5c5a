"""A sibling module other programs import."""

GREETING = "hello from helpers_mod"


def scale(values, factor):
    return [v * factor for v in values]


def divide(a, b):
    return a / b


if __name__ == "__main__":
    print("helpers_mod run directly:", scale([1, 2], 3))
