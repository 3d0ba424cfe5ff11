"""`blogsite deploy`: upload what changed in the output folder to each `[deploy.*]` target."""
