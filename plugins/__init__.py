"""Built-in plugins: one package each (see README "Writing a plugin")."""
