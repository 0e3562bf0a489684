"""The ways in: the command line (and, later, HTTP). Thin: all decisions live in the ledger and domain."""
