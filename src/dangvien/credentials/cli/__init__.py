"""The subcommands of `dangvien cards` (management/commands/cards.py), one module each.

A subcommand module has HELP (one line), `add_arguments(parser)` and `run(command, options)`; adding
one is a line in cards.SUBCOMMANDS. Modules load only when their subcommand runs or help is shown.
"""
