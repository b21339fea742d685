"""Generated demo data: customers, devices, tickets and service history."""
