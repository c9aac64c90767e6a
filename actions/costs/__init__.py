"""Costs: billed daily history from each cloud (or the simulated world), kept column-wise, analysed, forecast,
budgeted and exported. Sources live beside their cloud's backend (`actions/<cloud>/cost_history.py`)."""
