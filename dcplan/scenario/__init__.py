"""dcplan scenario."""
