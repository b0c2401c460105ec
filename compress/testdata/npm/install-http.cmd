npm install --loglevel=http --no-fund jest
