"""Text -> typed `Intent`: the command language as an ordered rule grammar (numbers, durations, ids, synonyms and
spoken forms), guessed readings when no rule reads every word, whether a change is said as an order, name
resolution against the inventory (certain matches, or "did you mean" candidates) and the help texts. No I/O."""
