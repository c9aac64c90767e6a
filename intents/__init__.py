"""Text -> typed Intent, and entity resolution against the inventory. No I/O."""
