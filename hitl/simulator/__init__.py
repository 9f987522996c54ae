"""The customer simulator: scripted customers chatting with a hitl backend.

Each simulated customer picks a scenario from `scenarios.json` (ordinary
questions, refund demands, angry customers, people asking for a person,
pasted personal data, prompt injection, legal threats, data requests and text
built to attack a terminal), starts a chat through the customer channel, says
its turns with pauses in between, and watches what it is shown: the AI
disclosure, then replies once a human approved them. The run counts what
happened so a demo has a live queue and a load test has numbers.

It is a client of the channel API (`backend_client.ChannelClient`) and
nothing else: it never imports the backend. `scenarios` holds the scripts,
`engine.simulate()` runs them (used by `hitl demo` and the tests),
`report.run_cli()` wraps it with a progress display and a summary table for
`hitl simulate`.
"""

from hitl.simulator.engine import SimulationStats, simulate
from hitl.simulator.report import run_cli
from hitl.simulator.scenarios import KINDS, Scenario, load_scenarios

__all__ = ["KINDS", "Scenario", "SimulationStats", "load_scenarios", "run_cli", "simulate"]
