"""Tables of sellers."""
