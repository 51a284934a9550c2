"""Constants the integration tests share."""

AHEAD_SUBJECT = (
    "[Closer] Helix Intelligence beats our offer to Ada Lovelace by 200,000 USD (20.0%) in year one"
)
