"""Image pipeline: a Protocol, concrete filters in another module, a thread-pool runner."""
