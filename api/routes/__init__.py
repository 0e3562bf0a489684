"""The JSON API of docs/commands.md §5, one router per concern: commands in, readings out, spreadsheets."""
