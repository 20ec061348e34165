"""Runtime package: a wrapper class that owns a ThreadPoolExecutor."""
