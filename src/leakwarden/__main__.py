from leakwarden.cli import main

main()
