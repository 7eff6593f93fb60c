from ctdata.cli.app import main

main()
