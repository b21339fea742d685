"""The loyalty programme (spec 9, 6.2; issue 17): the ledger, tiers, benefits, the nightly pass."""
