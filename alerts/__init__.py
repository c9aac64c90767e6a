"""Alerts from the monitoring systems: normalisation per source, the stored alert and its state machine
(firing -> acknowledged -> resolved), dedupe by fingerprint. Sending messages is not done here."""
