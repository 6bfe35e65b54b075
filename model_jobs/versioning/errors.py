class CommandError(Exception):
    """A refused command: the message says which file and what to do; no file was changed."""
