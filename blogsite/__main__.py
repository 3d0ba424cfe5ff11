from blogsite.cli import run

run()
