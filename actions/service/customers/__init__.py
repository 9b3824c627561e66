"""Customers: the identity check, changes to their own details, the channel addresses that reach them."""
