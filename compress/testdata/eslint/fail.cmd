npx eslint lib
