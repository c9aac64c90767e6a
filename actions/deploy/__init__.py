"""Deployments and rollbacks: release manifests, checks before anything changes, plans, and the record of each
deploy. Each cloud rolls its groups behind one interface (`model.RolloutBackend`), beside its backend
(`actions/<cloud>/rollout.py`); the workers start and watch the rollouts (`workers/deploy_*.py`)."""
