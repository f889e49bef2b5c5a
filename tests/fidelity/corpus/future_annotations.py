from __future__ import annotations


def area(width: float, height: Undefined) -> float:
    return width


print(area.__annotations__)
