# Offers, the compensation engine, bands, exchange rates and approvals arrive with the offers
# issue; the app exists now so that the layout (candidates <- pipeline <- offers) is fixed.
