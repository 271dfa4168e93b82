from quotemaild.edges.cli.main import main

main()
