"""Small shared models and infrastructure that every opsbot package may use."""
