"""Helpers of the orders tests."""

APPROVE = "4242424242424242"
