"""Small runnable examples of the Python API."""
