"""Pre-review scenarios for the shared registry (bench/scenarios.py adds them to SCENARIOS;
import them only from there: they import Scenario from it).

They work on any demo data set and say most on the one of bench/reviews_data.py (50,000
submissions):

    .venv/bin/python bench/reviews_data.py --database-url URL
    .venv/bin/python bench/run.py --database-url URL --scale 167 --only reviews

"Claim next" is not here: each request takes an item off the queue, so a run on the plain demo
data would empty it and then (rightly) get 204. bench/reviews_bench.py measures it on the large
data set, as 8 reviewers with API tokens of their own, and checks that no item was handed out
twice.
"""
from bench.scenarios import Scenario

REVIEW_SCENARIOS = [
    Scenario("reviews: dashboard", lambda i, ctx: "/reviews/dashboard", user="manager"),
    Scenario("reviews: queue page", lambda i, ctx: "/reviews", user="reviewer"),
]
