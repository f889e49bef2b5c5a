import helpers_mod


def ratio(a, b):
    return helpers_mod.divide(a, b)


print(ratio(1, 2))
print(ratio(1, 0))
