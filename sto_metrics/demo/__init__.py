"""The synthetic demo region: generating its exports and the prebuilt demo database."""
