from netlab.cli.launch import main

main()
