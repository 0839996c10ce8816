"""Handbook adoption."""
