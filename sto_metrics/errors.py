"""Errors that carry a Dutch message meant for the user."""

EXIT_BAD_INPUT = 2
EXIT_OTHER = 1


class UserError(Exception):
    """A problem the user can fix; `str(err)` is a Dutch message without pupil data."""

    exit_code = EXIT_BAD_INPUT


class InternalError(UserError):
    """Something went wrong that the user cannot fix; still reported in Dutch."""

    exit_code = EXIT_OTHER
