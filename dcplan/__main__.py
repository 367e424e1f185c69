from dcplan.cli import main

main()
