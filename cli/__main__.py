from openbadge_ctq_cli.main import main

if __name__ == "__main__":  # uvicorn's workers re-import this module: only run when executed
    main()
