from noc.cli.main import main

main()
