"""`make benchmark`: the ledger's pages, search and sweep measured side by side with
bare baselines on a dataset built in bulk (see docs/benchmarks.md).

Not part of the product: nothing under config/, adr/, risks/ or triggers/ imports this
package, and only `config.settings.benchmark` routes to `benchmarks.urls`.
"""
