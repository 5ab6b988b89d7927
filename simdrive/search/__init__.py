"""Searching a scenario for its rare critical variants (``simdrive search``).

Modules: ``space`` (a scenario's distributions as search coordinates),
``objective`` (what is critical, what guides the search), ``methods`` (random,
Halton, cross-entropy), ``estimate`` (probability of the critical event),
``diversity`` (distinct variants, clusters, the kept set, influence), ``found``
(the found file), ``plots`` (PNG figures) and ``run`` (the whole search).
"""
