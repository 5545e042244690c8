from openbadge_ctq_cli.main import main

main()
