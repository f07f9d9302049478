from noc.cli.main import app

app(prog_name="noc")
