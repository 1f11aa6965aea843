"""LIVE shopping: sessions, their product bag and pin, flash deals (docs/adr/0016)."""
