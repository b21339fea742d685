"""Customer feedback (spec 8), pure: comment analysis and the figures of a period."""
