npx tsc -p . --pretty
