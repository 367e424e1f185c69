"""dcplan report."""
