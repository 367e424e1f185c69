"""dcplan plan."""
