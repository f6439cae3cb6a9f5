"""HTTP API: thin routes that validate and delegate to the runtime."""
