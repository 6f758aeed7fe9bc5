from esgscreen.cli import main

main()
