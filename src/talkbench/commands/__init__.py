"""One module per `talkbench` subcommand: add_arguments(parser), run(args) -> exit code (help texts: cli.COMMANDS)."""
