"""Customers: registration and profiles, their views, lookup, documents,
import and export."""
