"""Policies and money: what a customer may read, premium payments, policy loans, documents (invoices, calendars)."""
