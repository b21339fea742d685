"""Customer feedback (spec 8; issue 17): answers, reviews, complaints, actions, reports."""
