"""The one exception type of initviz.

Every invalid argument raises :class:`InitvizError` (a ``ValueError``) with a message that names
the argument, the rule it broke and the value received, in the style of Keras:
``"Argument `mode` must be one of fan_in, fan_out. Received: mode='fan_avg'"``.
The app turns it into one short message; it never shows a traceback.
"""

from __future__ import annotations


class InitvizError(ValueError):
    """Invalid input to initviz: names the argument, the rule and the value received."""


def invalid(argument: str, rule: str, received: object) -> InitvizError:
    """Build the standard message: ``Argument `x` must <rule>. Received: x=<value>``."""
    return InitvizError(f"Argument `{argument}` must {rule}. Received: {argument}={received!r}")


def one_of(argument: str, options, received: object) -> InitvizError:
    """Error for an enum argument; lists the valid options."""
    return invalid(argument, "be one of " + ", ".join(map(str, options)), received)
