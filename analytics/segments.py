"""The 11 RFM segment names, in the order pages list them (rules: analytics/rfm.py). A constant module
with no imports, so list filters can offer the names without loading pandas."""

SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Cannot lose them",
    "Hibernating",
    "Lost",
)
