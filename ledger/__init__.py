"""The ledger application: the write side of every command, history and verification.

This is the service layer and its adapters (cosmicpython's words): it turns validated commands
into events through `kaoping.domain.rules`, and stores them with `eventsourcing` on SQLite or
PostgreSQL, together with the hash chain and the command index, in one transaction.
"""
