"""The one exception type for mistakes a user can make (bad prompt, bad file, bad option).

Library code raises it where the input is read; the CLI prints its message as one line on
stderr and exits with code 2, without a traceback.
"""


class UserError(ValueError):
    """Bad input from a user: the message says what was wrong and what is accepted."""
