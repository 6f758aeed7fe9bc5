"""Use cases: what the API, the pages and the CLI do, built from the core, the store and the
watchlist file format. Nothing here knows about HTTP.

- ``screening``: one subject or a portfolio against a watchlist snapshot, and the answers.
- ``snapshots``: the published watchlist version a worker screens against, kept fresh.
- ``browse``: entity records, lists and search for reading.
- ``curation``: proposals, four-eyes review and publishing a new version.
- ``loading``, ``exports``: the watchlist in and out (YAML; JSON, CSV, FollowTheMoney).
- ``importers``: bulk changes from a CSV or JSON file, as proposals.
- ``policies``: the policy file and its views.
- ``ratelimit``: per-caller request limits.
- ``monitoring``, ``webhooks``, ``worker``: watched portfolios, signed deliveries, the worker.
- ``screenlog``, ``dispositions``, ``metrics``: compliance records and operators' figures.
- ``yente``: the OpenSanctions matching API's shapes over this watchlist.
"""
