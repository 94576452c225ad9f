"""Scale benchmarks (`manage.py bench`, `bin/bench`) and the loopback load test (`bin/loadtest`)."""
