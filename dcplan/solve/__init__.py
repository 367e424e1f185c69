"""dcplan solve."""
