npm ls --json --all
