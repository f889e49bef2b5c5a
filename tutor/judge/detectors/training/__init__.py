"""Training mistakes: gradients never cleared, softmax before the loss, a diverging learning
rate, evaluation that still records a graph, an ``nn.Linear`` written the wrong way round.

One detector per module, registered with ``@detector``; found by tutor.judge.detectors."""
