"""Use cases over the database; each returns plain dataclasses, never ORM objects."""
