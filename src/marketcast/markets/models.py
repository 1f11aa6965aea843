"""Tables of markets."""
