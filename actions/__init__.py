"""The catalogue of actions and the cloud providers behind one interface."""
