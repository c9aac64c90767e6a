"""The channel-neutral conversation core: one Message in, the Replies to show now out. The gate, read answers a
page at a time, the change flow (target, plan, policy, confirmation, job on the queue), alerts through the
`alerts.desk.Desk` seam, and voice notes said back before they act. Long work goes to the queue; its progress
comes back through the outbox."""
