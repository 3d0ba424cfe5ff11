"""Bringing posts from other tools into a blogsite site (`blogsite import`)."""
