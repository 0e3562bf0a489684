"""The JSON API of CONTRACT.md, one router per concern: commands in, readings out, spreadsheets."""
