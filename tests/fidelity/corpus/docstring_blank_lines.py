"""Train a model.

This module docstring has blank lines,

and several paragraphs.
"""


def fit(epochs):
    """Fit the model.

    Args:
        epochs: how many passes over the data.

    Returns the final loss.
    """
    return 0.5 / epochs


print(__doc__)
print(fit.__doc__)
print(fit(5))
