"""The start screen's search: the search box and its suggestions, filters, results."""
