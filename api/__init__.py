"""The ways in: the command line (`cli/`), the HTTP API (`http.py`, `routes/`) and the web pages
(`web/`), all built by one composition root (`bootstrap.py`). Thin: every decision lives in the
ledger and the domain."""
