"""The containo orders application: the API, its validator sidecar and the queue worker, and a load generator.

Each component runs as ``python -m app.<component>`` (api, validator, worker, load) and is configured by
environment variables (see app/README.md and app/config.py).
"""
