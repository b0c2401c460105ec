npm ls --all
