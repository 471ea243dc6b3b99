from slipstack.cli import main

main()
