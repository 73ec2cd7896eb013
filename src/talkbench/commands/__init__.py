"""One module per `talkbench` subcommand: HELP, add_arguments(parser), run(args) -> exit code."""
