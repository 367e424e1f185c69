"""dcplan usecases."""
