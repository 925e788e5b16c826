from netlab.cli.app import main

main()
