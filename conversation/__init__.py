"""The channel-neutral conversation core: a Message in, Replies out, long work on the queue."""
