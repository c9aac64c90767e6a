"""Who may do what where, what needs confirmation or a second approver, rate and blast-radius limits."""
