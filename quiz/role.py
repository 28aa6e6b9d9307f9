"""Facts about the e-commerce manager role, written once. Pure.

Source: the role description in DESIGN.md ("What the role is"), which quotes
pay from the US Bureau of Labor Statistics. The landing page, the readiness
checks of the report and the bank validator all read them from here.
"""

from __future__ import annotations

SALARY = {
    "average": 92_000,  # US dollars a year
    "low": 61_000,
    "high": 113_000,
    "source": "the US Bureau of Labor Statistics",  # as the role description quotes it
    "country": "the United States",
    "currency": "US dollars",
}
DEGREE_FIELDS = "business, marketing or a technical field"
USUAL_YEARS = "six to seven years"
PATH = "marketing analyst, forecaster or e-commerce sales"
HOURS = "The job can be stressful, with long and irregular hours"

# The background items and choices that the readiness checks read (report.readiness).
# The bank validator refuses a bank whose background renames or drops one of them, so
# that a renamed choice is an error instead of a silent change of every report.
USUAL_FIELDS = frozenset({"business", "marketing", "technical"})
PATH_ROLES = frozenset({"marketing-analyst", "forecaster", "ecommerce-sales"})
MANAGER_ROLE = "ecommerce-management"
EXPERIENCE = ("y0-1", "y2-3", "y4-5", "y6-7", "y8")
HOURS_CHOICES = ("comfortable", "sometimes", "avoid")
READINESS_BACKGROUND: dict[str, frozenset[str]] = {
    "degree": frozenset({"none", "master"}),
    "field": USUAL_FIELDS,
    "experience": frozenset(EXPERIENCE),
    "roles": PATH_ROLES | {MANAGER_ROLE},
    "hours": frozenset(HOURS_CHOICES),
}
