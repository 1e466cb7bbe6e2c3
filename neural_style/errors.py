"""The one error type the library raises for bad input, so callers can catch it."""


class NeuralStyleError(ValueError):
    """A problem with a file, value or setting, described in one line with its fix."""
