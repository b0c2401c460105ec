npx vitest run vt --reporter=verbose
