"""Pure privacy rules: the consent purposes and their state, the shop's opening hours."""
