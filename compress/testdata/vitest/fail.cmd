npx vitest run vt
