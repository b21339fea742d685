"""What the counter's start screen shows: today's work on repair tickets."""
