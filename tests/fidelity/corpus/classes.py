class Point:
    """A point in the plane."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __repr__(self):
        return f"Point({self.x}, {self.y})"

    def __add__(self, other):
        return Point(self.x + other.x, self.y + other.y)


class Point3(Point):
    def __init__(self, x, y, z):
        super().__init__(x, y)
        self.z = z


p = Point(1, 2) + Point(3, 4)
print(p, Point.__doc__, Point.__module__, Point.__qualname__)
print(Point3(1, 2, 3).z, isinstance(Point3(0, 0, 0), Point))
print(type(p))
