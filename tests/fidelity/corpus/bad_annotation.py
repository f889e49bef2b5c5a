def area(width: float, height: float) -> float:
    return width * height


print(area.__annotations__)
size: Sizes = 3
print("not reached")
