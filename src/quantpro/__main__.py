from quantpro.cli import run

run()
