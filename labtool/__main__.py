from labtool.cli import main

main()
