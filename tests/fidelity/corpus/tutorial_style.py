"""
Tensors
=======

What is a tensor? A tensor is a specialized data structure that is very
similar to arrays and matrices.

In PyTorch, we use tensors to encode the inputs and outputs of a model,
as well as the model's parameters.

Initializing a Tensor
---------------------

Tensors can be initialized in various ways. Take a look at the following examples:
"""

import torch

data = [
    [1, 2],

    [3, 4],
]
x_data = torch.tensor(data)

shapes = {
    "rand": (2, 3),

    # a comment between entries
    "ones": (2, 3),
}

print(f"Tensor from data:\n {x_data}\n")
print(sorted(shapes))


def describe(t):
    """Print the attributes of a tensor.

    Shape, datatype and device are the three things
    to check first when something goes wrong.

    What does each of them mean? See the next section.
    """
    print(f"Shape of tensor: {t.shape}")
    print(f"Datatype of tensor: {t.dtype}")


describe(x_data)
