"""progen beside the job queues people would pick instead, measured in one run.

Everything here runs in its own venv (`bench/peers/.venv`, from `requirements.txt`
here), never in the service's: `./scripts/bench.sh --peers` builds it.
"""
