"""The customer screens: registration form, duplicate matches, the profile page and
its tabs, the customer picker of ticket intake."""
