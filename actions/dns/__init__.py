"""Moving a service's traffic: one interface (`model.DnsSwitch`) over Route 53 records, Azure Traffic Manager
endpoints, Google Cloud DNS record sets and the simulated world's DNS; each cloud's switch lives beside its backend
(`actions/<cloud>/dns.py`). The DR runbooks (issue 15) switch DNS through it."""
