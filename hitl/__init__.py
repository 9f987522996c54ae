"""hitl: the `hitl` command, the embedded backend and the customer simulator.

The only package that imports both the backend and the console: it wires the
two together (the demo, the screenshots) and gives the tests and benchmarks
one way to run the real backend on loopback.
"""
