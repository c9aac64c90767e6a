"""Audio -> text. Built by the voice issue; empty until then."""
