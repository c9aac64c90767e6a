"""Loopback stand-ins for the platforms opsbot talks to; used by the tests and the benchmarks, like httpx ships
MockTransport.

Each serves on 127.0.0.1 only, for the real client library to talk to: `slack_api` (Slack Web API and Socket
Mode), `telegram_api` (Bot API), `twilio_api` (REST API, signed webhooks), `azure_arm` (Resource Manager over
HTTPS, and `StaticToken`; also Azure Monitor metrics), `gcp_compute` (Compute Engine REST), `gcp_monitoring`
(Cloud Monitoring's ListTimeSeries over gRPC), `aws_limits` (a proxy in front of moto's server that refuses Auto
Scaling capacities outside a group's limits, as AWS does), `aws_refresh` (that proxy answering instance
refreshes, which moto lacks, by replacing instances in moto batch by batch), `azure_rollouts` and `azure_capacity`
(scale sets' rolling upgrades, images, sizes and quota, served by `azure_arm`), `gcp_rollouts` (MIG rolling
updates, instance templates, machine types and quotas, served by `gcp_compute`), `alertmanager` and `prometheus`
(the real Debian programs as subprocesses, through `daemon`; `node_history` writes the metrics history a
Prometheus starts with), `redis_ha` (Sentinel and TLS Redis), and `audio` (espeak-ng speech encoded as the
platforms carry it). A few need what only the `bench` extra installs (trustme for the HTTPS certificate) or a
system program (espeak-ng, alertmanager, prometheus).
"""
