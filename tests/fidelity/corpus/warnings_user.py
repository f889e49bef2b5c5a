import warnings


def old_api():
    warnings.warn("old_api is deprecated, use new_api", DeprecationWarning, stacklevel=2)
    return 1


warnings.warn("learning rate looks high")
old_api()
for _ in range(3):
    warnings.warn("only shown once per place", RuntimeWarning)
print("done")
