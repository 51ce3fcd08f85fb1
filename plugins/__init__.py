"""The built-in plugins, installed as the package ``zoo_plugins`` and found through entry points."""
