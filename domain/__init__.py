"""The pure core of Kaoping: commands, events, write-time rules, the scheme and scoring.

Nothing in this package reads a clock, a file or a database: times, ids and actors are decided by
the caller and written onto the events.
"""
