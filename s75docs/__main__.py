from s75docs.cli import main

main()
