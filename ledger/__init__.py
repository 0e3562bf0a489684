"""The service layer and its adapters (cosmicpython's words), one room each: stream states
(`streams`), the write path (`writer`, `group_commit`), the read path (`reader`, `entry_log`), the
operator's side (`admin`), the auditor's (`audit`, `export`), and the store (`store`: the
`eventsourcing` recorders on SQLite or PostgreSQL, which write the hash chain and the command index
in the same transaction as the entries). `application.Ledger` builds them over one event store.
"""
