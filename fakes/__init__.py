"""Loopback stand-ins for the platforms opsbot talks to; used by the tests and the benchmarks, like httpx ships
MockTransport.

Each serves on 127.0.0.1 only, for the real client library to talk to: `slack_api` (Slack Web API and Socket
Mode), `telegram_api` (Bot API), `twilio_api` (REST API, signed webhooks), `azure_arm` (Resource Manager over
HTTPS, and `StaticToken`; also Azure Monitor metrics), `gcp_compute` (Compute Engine REST), `gcp_monitoring`
(Cloud Monitoring's ListTimeSeries over gRPC), `aws_limits` (a proxy in front of moto's server
that refuses Auto Scaling capacities outside a group's limits, as AWS does), `alertmanager` and `prometheus` (the
real Debian programs as subprocesses, through `daemon`; `node_history` writes the metrics history a Prometheus
starts with), `redis_ha` (Sentinel and TLS Redis), and `audio` (espeak-ng speech encoded as the platforms
carry it). A few need what only the `bench` extra installs (trustme for the HTTPS certificate) or a system
program (espeak-ng, alertmanager, prometheus).
"""
