# The canary notebook is run only by test_nbval_canary.py, in a pytest of its own.
collect_ignore_glob = ["canary/*"]
