"""The application's one error type: a configuration that cannot run."""


class ConfigError(ValueError):
    """A configuration that cannot run, with the key at fault and the fix."""
