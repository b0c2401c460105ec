npx jest
