"""Customers API client: wire models, typed errors, search-input classification."""
