"""The `embrace` command line: one module per subcommand, registered in `main.SUBCOMMANDS`."""
