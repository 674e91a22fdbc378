"""The one exception class the command line reports as a single line (no traceback).

Stages raise subclasses of :class:`BuildError` for failures the user can act on (a page that
does not render, an edition that cannot be frozen); the message's first line is what they see.
It lives apart from the stages so the command line can catch it without importing them.
"""


class BuildError(RuntimeError):
    """A failure to report to the user as one line; the first line of the message is that line."""
